-- Argo CD health of an ogf.dev Backup, from spec.suspend and status conditions.
-- Suspended: spec.suspend. Degraded: Degraded=True, or the last backup failed
-- (LastBackupSucceeded=False). Healthy: Ready=True. Progressing: no status
-- yet, a spec not observed yet, or the first backup not done.
local hs = {}

local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function describe(c, fallback)
  if c == nil then
    return fallback
  end
  local text = c.reason or fallback
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended: no scheduled backups start (spec.suspend)"
  return hs
end
if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator"
  return hs
end
local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local degraded = condition("Degraded")
local last = condition("LastBackupSucceeded")
local ready = condition("Ready")
if degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(degraded, "Degraded")
elseif last ~= nil and last.status == "False" then
  hs.status = "Degraded"
  hs.message = "Last backup failed: " .. describe(last, "BackupFailed")
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready, "Ready")
  if obj.status.activeJob ~= nil then
    hs.message = hs.message .. " (running: " .. obj.status.activeJob .. ")"
  end
else
  hs.status = "Progressing"
  hs.message = describe(ready, "Waiting for the first backup")
end
return hs
