/**
 * @internal
 * Lua scripts of the Redis presence. Every script gets the key prefix as
 * ARGV[1] and builds key names itself, so one script serves every prefix
 * (standalone Redis or Sentinel; Redis Cluster is not supported).
 *
 * Layout (P = prefix):
 * - `P:u:<userId>` hash: sessionId -> `<nodeId>\0<JSON(SessionInfo)>`
 * - `P:node:<nodeId>` string with PX TTL: the node is alive while it exists
 * - `P:nodesessions:<nodeId>` set of `userId \0 sessionId`: for removeNode and resync
 * - `P:nodeseen:<nodeId>` last heartbeat (ms): the last-seen of users whose node died
 * - `P:seen:<userId>` last-seen (ms)
 */

// Shared helpers. `alive` caches node liveness within one script run, so a
// 500-user lookup checks each node once.
const PRELUDE = `
local P = ARGV[1]
local alive = {}
local function isAlive(node)
  local a = alive[node]
  if a == nil then
    a = redis.call('EXISTS', P .. ':node:' .. node) == 1
    alive[node] = a
  end
  return a
end
-- A stored session is "<nodeId>\\0<json>": the nodeId is read without decoding
-- JSON (cjson.decode would dominate a 500-user read). Returns nodeId and the separator index.
local function nodeOf(v)
  local z = string.find(v, '\\0', 1, true)
  if z then return string.sub(v, 1, z - 1), z end
  return nil, nil
end
local function connectedAtOf(v, z)
  local ok, s = pcall(cjson.decode, string.sub(v, z + 1))
  if ok and type(s) == 'table' then return tonumber(s.connectedAt) or 0 end
  return 0
end
local function member(userId, sid) return userId .. '\\0' .. sid end
local function markSeen(userId, ts, ttl)
  local k = P .. ':seen:' .. userId
  local cur = tonumber(redis.call('GET', k) or '0') or 0
  if tonumber(ts) > cur then
    if tonumber(ttl) > 0 then redis.call('SET', k, ts, 'PX', ttl) else redis.call('SET', k, ts) end
  end
end
local function setNodeSeen(node, now, ttl)
  if tonumber(ttl) > 0 then
    redis.call('SET', P .. ':nodeseen:' .. node, now, 'PX', ttl)
  else
    redis.call('SET', P .. ':nodeseen:' .. node, now)
  end
end
local nodeSeenCache = {}
local function nodeSeen(node)
  local t = nodeSeenCache[node]
  if t == nil then
    t = redis.call('GET', P .. ':nodeseen:' .. node) or false
    nodeSeenCache[node] = t
  end
  return t
end
-- Reads a user's sessions, drops those of dead nodes (lazy GC) and calls
-- onLive(nodeId, value, z) for the others. Returns the live count. When the
-- last sessions were dropped, last-seen becomes their node's last heartbeat.
local function scanUser(userId, seenTtl, onLive)
  local K = P .. ':u:' .. userId
  local h = redis.call('HGETALL', K)
  local live = 0
  local deadSeen = nil
  for i = 1, #h, 2 do
    local sid, value = h[i], h[i + 1]
    local node, z = nodeOf(value)
    if node and isAlive(node) then
      live = live + 1
      if onLive then onLive(node, value, z) end
    else
      redis.call('HDEL', K, sid)
      if node then
        redis.call('SREM', P .. ':nodesessions:' .. node, member(userId, sid))
        -- Seen at the node's last heartbeat, or when the session connected if later.
        local t = math.max(tonumber(nodeSeen(node) or '0') or 0, connectedAtOf(value, z))
        if t > 0 and (deadSeen == nil or t > deadSeen) then deadSeen = t end
      end
    end
  end
  if live == 0 and deadSeen then markSeen(userId, string.format('%d', deadSeen), seenTtl) end
  return live
end
local function putSession(userId, sid, value, node)
  local K = P .. ':u:' .. userId
  local old = redis.call('HGET', K, sid)
  if old then
    local oldNode = nodeOf(old)
    if oldNode and oldNode ~= node then
      redis.call('SREM', P .. ':nodesessions:' .. oldNode, member(userId, sid))
    end
  end
  redis.call('HSET', K, sid, value)
  redis.call('SADD', P .. ':nodesessions:' .. node, member(userId, sid))
end
-- Forgets every session listed for a node; returns the set of their users.
local function dropNode(node)
  local ns = P .. ':nodesessions:' .. node
  local users = {}
  for _, m in ipairs(redis.call('SMEMBERS', ns)) do
    local z = string.find(m, '\\0', 1, true)
    if z then
      local userId, sid = string.sub(m, 1, z - 1), string.sub(m, z + 1)
      local K = P .. ':u:' .. userId
      local cur = redis.call('HGET', K, sid)
      if cur and nodeOf(cur) == node then redis.call('HDEL', K, sid) end
      users[userId] = true
    end
  end
  redis.call('DEL', ns)
  return users
end
`;

/** A script and its ioredis command name (defined with `defineCommand`, run by EVALSHA). */
export interface PresenceScript {
  name: string;
  lua: string;
}

/**
 * ARGV: P, mode ('sessions' | 'nodes' | 'status'), seenTtlMs, userId...
 * sessions: flat list of live session JSON; nodes: per user, its distinct live
 * nodeIds; status: per user, {liveCount, lastSeen or nil}.
 */
export const READ: PresenceScript = {
  name: "luckyImPresenceRead",
  lua: `${PRELUDE}
local mode, seenTtl = ARGV[2], ARGV[3]
local out = {}
for i = 4, #ARGV do
  local userId = ARGV[i]
  if mode == 'sessions' then
    scanUser(userId, seenTtl, function(node, value, z) out[#out + 1] = string.sub(value, z + 1) end)
  elseif mode == 'nodes' then
    local nodes, seen = {}, {}
    scanUser(userId, seenTtl, function(node)
      if not seen[node] then seen[node] = true; nodes[#nodes + 1] = node end
    end)
    out[#out + 1] = nodes
  else
    local live = scanUser(userId, seenTtl, nil)
    out[#out + 1] = { live, redis.call('GET', P .. ':seen:' .. userId) }
  end
end
return out
`,
};

/**
 * ARGV: P, userId, sessionId, value (`nodeId\0json`), nodeId, nowMs, nodeTtlMs, seenTtlMs.
 * Writes the session; when the node is alive, extends its TTL (a registering
 * node is alive) and returns 1, else returns 0 (the caller then resyncs).
 */
export const REGISTER: PresenceScript = {
  name: "luckyImPresenceRegister",
  lua: `${PRELUDE}
local node, now, ttl, seenTtl = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
putSession(ARGV[2], ARGV[3], ARGV[4], node)
if redis.call('SET', P .. ':node:' .. node, now, 'PX', ttl, 'XX') then
  setNodeSeen(node, now, seenTtl)
  return 1
end
return 0
`,
};

/** ARGV: P, userId, sessionId, nodeId, nowMs, seenTtlMs. */
export const UNREGISTER: PresenceScript = {
  name: "luckyImPresenceUnregister",
  lua: `${PRELUDE}
local userId, sid, node, now, seenTtl = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local K = P .. ':u:' .. userId
local cur = redis.call('HGET', K, sid)
if cur then
  local curNode = nodeOf(cur)
  -- Only this node's session: the same id may have moved to another node since.
  if curNode == nil or curNode == node then redis.call('HDEL', K, sid) end
end
redis.call('SREM', P .. ':nodesessions:' .. node, member(userId, sid))
if scanUser(userId, seenTtl, nil) == 0 then markSeen(userId, now, seenTtl) end
return 1
`,
};

/**
 * ARGV: P, nodeId, nowMs, nodeTtlMs, seenTtlMs. Extends the node key only when
 * it exists: returns 1, or 0 when it was missing (the caller then resyncs).
 */
export const HEARTBEAT: PresenceScript = {
  name: "luckyImPresenceHeartbeat",
  lua: `${PRELUDE}
local node, now, ttl, seenTtl = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('SET', P .. ':node:' .. node, now, 'PX', ttl, 'XX') then
  setNodeSeen(node, now, seenTtl)
  return 1
end
return 0
`,
};

/**
 * ARGV: P, nodeId, nowMs, nodeTtlMs, seenTtlMs, then (userId, sessionId, value)
 * triples. Replaces everything Redis holds for the node by the given sessions
 * and marks it alive, atomically (after a Redis restart or a lost write).
 */
export const RESYNC: PresenceScript = {
  name: "luckyImPresenceResync",
  lua: `${PRELUDE}
local node, now, ttl, seenTtl = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local users = dropNode(node)
redis.call('SET', P .. ':node:' .. node, now, 'PX', ttl)
setNodeSeen(node, now, seenTtl)
alive[node] = true
for i = 6, #ARGV, 3 do
  putSession(ARGV[i], ARGV[i + 1], ARGV[i + 2], node)
  users[ARGV[i]] = nil
end
for userId in pairs(users) do
  if scanUser(userId, seenTtl, nil) == 0 then markSeen(userId, now, seenTtl) end
end
return 1
`,
};

/** ARGV: P, nodeId, nowMs, seenTtlMs. Forgets the node and its sessions. */
export const REMOVE_NODE: PresenceScript = {
  name: "luckyImPresenceRemoveNode",
  lua: `${PRELUDE}
local node, now, seenTtl = ARGV[2], ARGV[3], ARGV[4]
local users = dropNode(node)
redis.call('DEL', P .. ':node:' .. node, P .. ':nodeseen:' .. node)
alive[node] = false
for userId in pairs(users) do
  if scanUser(userId, seenTtl, nil) == 0 then markSeen(userId, now, seenTtl) end
end
return 1
`,
};

/** Every script, for `defineCommand`. */
export const PRESENCE_SCRIPTS: readonly PresenceScript[] = [
  READ,
  REGISTER,
  UNREGISTER,
  HEARTBEAT,
  RESYNC,
  REMOVE_NODE,
];
