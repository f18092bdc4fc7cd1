#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Stand-in for the GitHub and GitLab REST APIs, with real git pushes, for the scaffolder tests.

It is written for the test suite and serves only the calls that the publish actions and
the catalog's URL reader make. Repositories are real bare repositories under --root; git's
own `git http-backend` serves them over smart HTTP at /git/<owner>/<repo>.git, run as a
CGI program per request. Every REST call needs the token given with --token (GitHub:
"Authorization: token T"; GitLab: "PRIVATE-TOKEN: T"); git requests need HTTP basic auth
with that token as the password, as GitHub and GitLab accept it.

Routes:
  GET  /api/v3/users/<owner>                     {login, type} ("Organization" for --org)
  POST /api/v3/user/repos, /api/v3/orgs/<o>/repos create a bare repository
  GET  /api/v3/repos/<o>/<r>                      {clone_url, html_url, default_branch}
  GET  /api/v3/repos/<o>/<r>/contents/<path>?ref= a file (raw) or a folder listing
  PUT  /api/v3/repos/<o>/<r>/topics, .../branches/<b>/protection   recorded, 200
  POST /api/v3/repos/<o>/<r>/pulls               a pull request record
  GET  /api/v4/namespaces/<path>                  {id, full_path}
  POST /api/v4/projects                           create a bare repository
  GET  /api/v4/projects/<id>/repository/files/<path>/raw?ref=   a file
  GET  /_requests                                 every REST call so far, as JSON
The listening port is written to --port-file once the server accepts connections.
"""
import argparse
import base64
import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"requests": [], "pulls": {}, "namespaces": {}, "lock": threading.Lock()}


def git(*args, cwd=None, data=None):
    return subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True, check=False)


def create_bare(root, owner, name, branch="main"):
    path = os.path.join(root, owner, name + ".git")
    if os.path.exists(path):
        return None
    os.makedirs(path)
    git("init", "-q", "--bare", "-b", branch, path)
    git("config", "http.receivepack", "true", cwd=path)
    return path


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "scm-stand-in"

    def log_message(self, fmt, *args):
        sys.stderr.write("stand-in: " + (fmt % args) + "\n")

    # -- plumbing ---------------------------------------------------------
    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status, body=b"", content_type="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def base_url(self):
        return "http://127.0.0.1:%d" % self.server.server_port

    def authorized_rest(self):
        token = self.server.token
        auth = self.headers.get("Authorization", "")
        return auth in ("token " + token, "Bearer " + token) or \
            self.headers.get("PRIVATE-TOKEN") == token

    def record(self, body):
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = body.decode(errors="replace")
        with STATE["lock"]:
            STATE["requests"].append({"method": self.command, "path": self.path, "body": parsed})

    # -- dispatch ---------------------------------------------------------
    def do_GET(self):
        self.route()

    def do_HEAD(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_PUT(self):
        self.route()

    def route(self):
        if self.path.startswith("/git/"):
            return self.git_backend()
        body = self.read_body()
        if self.path == "/_requests":
            with STATE["lock"]:
                return self.send(200, list(STATE["requests"]))
        self.record(body)
        if not self.authorized_rest():
            return self.send(401, {"message": "Bad credentials"})
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        data = json.loads(body) if body else {}
        for pattern, method, handler in ROUTES:
            match = re.fullmatch(pattern, url.path)
            if match and method == self.command:
                return handler(self, match, query, data)
        return self.send(404, {"message": "Not Found"})

    # -- GitHub -----------------------------------------------------------
    def github_repo_json(self, owner, name):
        path = os.path.join(self.server.root, owner, name + ".git")
        head = git("symbolic-ref", "--short", "HEAD", cwd=path).stdout.decode().strip()
        return {
            "name": name,
            "full_name": "%s/%s" % (owner, name),
            "html_url": "https://github.com/%s/%s" % (owner, name),
            "clone_url": "%s/git/%s/%s.git" % (self.base_url(), owner, name),
            "default_branch": head or "main",
        }

    def gh_user(self, match, query, data):
        owner = match.group(1)
        kind = "Organization" if owner in self.server.orgs else "User"
        return self.send(200, {"login": owner, "type": kind})

    def gh_create(self, match, query, data):
        owner = match.group(1) if match.groups() else self.server.user
        name = data.get("name", "")
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            return self.send(422, {"message": "Validation Failed"})
        if create_bare(self.server.root, owner, name) is None:
            return self.send(422, {"message": "Repository creation failed.",
                                   "errors": [{"message": "name already exists on this account"}]})
        return self.send(201, self.github_repo_json(owner, name))

    def gh_repo(self, match, query, data):
        owner, name = match.group(1), match.group(2)
        if not os.path.isdir(os.path.join(self.server.root, owner, name + ".git")):
            return self.send(404, {"message": "Not Found"})
        return self.send(200, self.github_repo_json(owner, name))

    def serve_file(self, repo_path, ref, path, raw):
        listing = git("ls-tree", ref + ":" + path if path else ref, cwd=repo_path)
        kind = git("cat-file", "-t", "%s:%s" % (ref, path), cwd=repo_path).stdout.decode().strip()
        if kind == "blob":
            blob = git("show", "%s:%s" % (ref, path), cwd=repo_path).stdout
            if raw:
                return self.send(200, blob, "application/octet-stream")
            return self.send(200, {"type": "file", "path": path, "encoding": "base64",
                                   "content": base64.b64encode(blob).decode()})
        if kind == "tree" and listing.returncode == 0:
            items = []
            for line in listing.stdout.decode().splitlines():
                meta, name = line.split("\t", 1)
                mode, otype, _ = meta.split()
                item_type = {"blob": "file", "tree": "dir"}.get(otype, "submodule")
                if mode == "120000":
                    item_type = "symlink"
                items.append({"type": item_type, "name": name,
                              "path": (path + "/" if path else "") + name})
            return self.send(200, items)
        return self.send(404, {"message": "Not Found"})

    def gh_contents(self, match, query, data):
        owner, name, path = match.group(1), match.group(2), match.group(3)
        repo_path = os.path.join(self.server.root, owner, name + ".git")
        ref = query.get("ref", ["HEAD"])[0]
        raw = "raw" in self.headers.get("Accept", "")
        return self.serve_file(repo_path, ref, urllib.parse.unquote(path).strip("/"), raw)

    def gh_ok(self, match, query, data):
        return self.send(200, data or {})

    def gh_pull(self, match, query, data):
        owner, name = match.group(1), match.group(2)
        with STATE["lock"]:
            pulls = STATE["pulls"].setdefault("%s/%s" % (owner, name), [])
            number = len(pulls) + 1
            pulls.append(data)
        return self.send(201, {"number": number, "html_url": "https://github.com/%s/%s/pull/%d"
                               % (owner, name, number), "head": {"ref": data.get("head")},
                               "base": {"ref": data.get("base")}, "draft": data.get("draft")})

    # -- GitLab -----------------------------------------------------------
    def gl_namespace(self, match, query, data):
        full_path = urllib.parse.unquote(match.group(1))
        with STATE["lock"]:
            ident = STATE["namespaces"].setdefault(full_path, 100 + len(STATE["namespaces"]))
        return self.send(200, {"id": ident, "full_path": full_path})

    def gl_create(self, match, query, data):
        with STATE["lock"]:
            names = {v: k for k, v in STATE["namespaces"].items()}
        owner = names.get(data.get("namespace_id"))
        name = data.get("path") or data.get("name")
        if owner is None or not name:
            return self.send(400, {"message": "namespace_id and name are required"})
        branch = data.get("default_branch") or "main"
        if create_bare(self.server.root, owner, name, branch) is None:
            return self.send(400, {"message": {"name": ["has already been taken"]}})
        return self.send(201, {"id": 7, "path_with_namespace": "%s/%s" % (owner, name),
                               "web_url": "https://gitlab.com/%s/%s" % (owner, name),
                               "http_url_to_repo": "%s/git/%s/%s.git"
                               % (self.base_url(), owner, name)})

    def gl_file(self, match, query, data):
        project = urllib.parse.unquote(match.group(1))
        path = urllib.parse.unquote(match.group(2))
        repo_path = os.path.join(self.server.root, project + ".git")
        return self.serve_file(repo_path, query.get("ref", ["HEAD"])[0], path, True)

    # -- git smart HTTP through git http-backend --------------------------
    def git_backend(self):
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if password == self.server.token:
                user = name
        if user is None:
            self.read_body()
            return self.send(401, b"authentication required", "text/plain",
                             {"WWW-Authenticate": 'Basic realm="stand-in"'})
        url = urllib.parse.urlsplit(self.path)
        body = self.read_body()

        env = {
            "GIT_PROJECT_ROOT": self.server.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": urllib.parse.unquote(url.path[len("/git"):]),
            "QUERY_STRING": url.query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": user,
            "REMOTE_ADDR": "127.0.0.1",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        result = subprocess.run(["git", "http-backend"], input=body, env=env,
                                capture_output=True, check=False)

        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        status = 200
        headers = {}
        for line in head.decode(errors="replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers[key.strip()] = value.strip()

        content_type = headers.pop("Content-Type", "application/octet-stream")
        return self.send(status, payload, content_type, headers)


ROUTES = [
    (r"/api/v3/users/([^/]+)", "GET", Handler.gh_user),
    (r"/api/v3/user/repos", "POST", Handler.gh_create),
    (r"/api/v3/orgs/([^/]+)/repos", "POST", Handler.gh_create),
    (r"/api/v3/repos/([^/]+)/([^/]+)", "GET", Handler.gh_repo),
    (r"/api/v3/repos/([^/]+)/([^/]+)/contents/?(.*)", "GET", Handler.gh_contents),
    (r"/api/v3/repos/([^/]+)/([^/]+)/topics", "PUT", Handler.gh_ok),
    (r"/api/v3/repos/([^/]+)/([^/]+)/branches/(.+)/protection", "PUT", Handler.gh_ok),
    (r"/api/v3/repos/([^/]+)/([^/]+)/pulls", "POST", Handler.gh_pull),
    (r"/api/v4/namespaces/(.+)", "GET", Handler.gl_namespace),
    (r"/api/v4/projects", "POST", Handler.gl_create),
    (r"/api/v4/projects/([^/]+)/repository/files/(.+)/raw", "GET", Handler.gl_file),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="folder for the bare repositories")
    parser.add_argument("--token", required=True, help="token every request must present")
    parser.add_argument("--port-file", required=True, help="file that receives the port")
    parser.add_argument("--user", default="octocat", help="owner of /user/repos")
    parser.add_argument("--org", action="append", default=[], help="an organization login")
    args = parser.parse_args()

    os.makedirs(args.root, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.root = os.path.abspath(args.root)
    server.token = args.token
    server.user = args.user
    server.orgs = set(args.org)
    with open(args.port_file + ".tmp", "w") as out:
        out.write(str(server.server_port))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
