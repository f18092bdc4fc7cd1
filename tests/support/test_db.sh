# SPDX-License-Identifier: MIT
# Database selection for shell tests that start `greenroom serve`, sourced
# with `. tests/support/test_db.sh`.
#
# With GR_TEST_DB=pg, gr_test_db_setup creates an empty database on the
# PostgreSQL server of GR_TEST_PG_URL (scripts/pg-start.sh prints it) and
# exports APP_CONFIG_backend_database_client and
# APP_CONFIG_backend_database_connection. Those variables override
# backend.database in every config file, so each greenroom process the
# script starts, directly or through another script, uses that database.
# gr_test_db_drop removes the database again. Without GR_TEST_DB=pg both do
# nothing and the servers keep the database their config files name. POSIX sh
# has no local variables, so every variable here starts with gr_test_db_.

gr_test_db_name=""

# Prints GR_TEST_PG_URL with its database name replaced by $1: the path of a
# postgresql:// URI, or a dbname= pair appended to key=value text.
gr_test_db_url() {
    case $GR_TEST_PG_URL in
        *://*)
            gr_test_db_scheme=${GR_TEST_PG_URL%%://*}
            gr_test_db_rest=${GR_TEST_PG_URL#*://}
            gr_test_db_query=""
            case $gr_test_db_rest in
                *\?*)
                    gr_test_db_query="?${gr_test_db_rest#*\?}"
                    gr_test_db_rest=${gr_test_db_rest%%\?*}
                    ;;
            esac
            echo "$gr_test_db_scheme://${gr_test_db_rest%%/*}/$1$gr_test_db_query"
            ;;
        *)
            echo "$GR_TEST_PG_URL dbname=$1"
            ;;
    esac
}

# Creates the test database under GR_TEST_DB=pg and exports the variables
# that select it. Returns 0, or 1 after printing why on stderr.
gr_test_db_setup() {
    [ "${GR_TEST_DB:-}" = pg ] || return 0
    if [ -z "${GR_TEST_PG_URL:-}" ]; then
        echo "GR_TEST_DB=pg needs GR_TEST_PG_URL (scripts/pg-start.sh prints it)" >&2
        return 1
    fi
    gr_test_db_new="gr_test_sh_$$_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
    if ! psql -X -q -v ON_ERROR_STOP=1 "$GR_TEST_PG_URL" -c "CREATE DATABASE $gr_test_db_new" >&2
    then
        echo "creating the test database $gr_test_db_new on $GR_TEST_PG_URL failed" >&2
        return 1
    fi
    gr_test_db_name=$gr_test_db_new
    APP_CONFIG_backend_database_client=pg
    APP_CONFIG_backend_database_connection=$(gr_test_db_url "$gr_test_db_new")
    export APP_CONFIG_backend_database_client APP_CONFIG_backend_database_connection
}

# Drops the database that gr_test_db_setup created, after its servers have stopped.
gr_test_db_drop() {
    [ -n "$gr_test_db_name" ] || return 0
    psql -X -q "$GR_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $gr_test_db_name WITH (FORCE)" \
        >/dev/null 2>&1 || echo "dropping the test database $gr_test_db_name failed" >&2
    gr_test_db_name=""
}
