-- SPDX-License-Identifier: MIT
-- wrk script for bench/soak/run.sh: a weighted mix of catalog reads, search
-- queries, TechDocs page renders and location registrations. The token, the
-- folder of location files and the name of the documented entity come from
-- the environment (SOAK_TOKEN, SOAK_LOCATIONS, SOAK_DOCS_PATH, SOAK_ENTITIES).

local token = os.getenv("SOAK_TOKEN")
local locations = os.getenv("SOAK_LOCATIONS")
local docs_path = os.getenv("SOAK_DOCS_PATH")
local entities = tonumber(os.getenv("SOAK_ENTITIES"))
local threads = {}
local next_thread_id = 0

-- Weights out of 100: by-name 30, by-query 20, facets 10, search 20, docs 18,
-- location registration 2.
local mix = {
    {30, "by_name"}, {20, "by_query"}, {10, "facets"}, {20, "search"}, {18, "docs"},
    {2, "register"},
}
local words = {"payments", "billing", "search", "ledger", "orders", "gateway", "profile"}

function setup(thread)
    thread:set("thread_id", next_thread_id)
    next_thread_id = next_thread_id + 1
    table.insert(threads, thread)
end

function init(args)
    registered = 0
    math.randomseed(thread_id * 7919 + 17)
end

local headers = {["Authorization"] = "Bearer " .. token}
local json_headers = {["Authorization"] = "Bearer " .. token,
                      ["Content-Type"] = "application/json"}

local function pick()
    local roll = math.random(1, 100)
    for _, entry in ipairs(mix) do
        roll = roll - entry[1]
        if roll <= 0 then
            return entry[2]
        end
    end
    return mix[1][2]
end

function request()
    local kind = pick()
    local n = math.random(0, entities - 1)
    if kind == "by_name" then
        return wrk.format("GET", string.format(
            "/api/catalog/entities/by-name/component/default/component-%05d", n), headers)
    elseif kind == "by_query" then
        return wrk.format("GET", "/api/catalog/entities/by-query?filter=kind=component," ..
            "spec.lifecycle=production&limit=20&orderField=metadata.name,asc", headers)
    elseif kind == "facets" then
        return wrk.format("GET", "/api/catalog/entity-facets?facet=spec.type&facet=kind",
            headers)
    elseif kind == "search" then
        return wrk.format("GET", "/api/search/query?term=" .. words[math.random(1, #words)],
            headers)
    elseif kind == "docs" then
        return wrk.format("GET", docs_path, headers)
    end
    -- Each registration names a new file, so none conflicts with an earlier one.
    registered = registered + 1
    local body = string.format('{"type":"file","target":"%s/loc-%d-%d.yaml"}', locations,
        thread_id, registered)
    return wrk.format("POST", "/api/catalog/locations", json_headers, body)
end
