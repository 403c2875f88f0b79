-- Argo CD health of an ogf.dev Restore, from status.phase.
-- Healthy: Succeeded. Degraded: Failed (live data untouched). Progressing:
-- Pending, Running, Verifying, Swapping.
local hs = {}

if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator"
  return hs
end

local phase = obj.status.phase
local text = phase
if obj.status.message ~= nil and obj.status.message ~= "" then
  text = phase .. ": " .. obj.status.message
end
if phase == "Succeeded" then
  hs.status = "Healthy"
elseif phase == "Failed" then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
hs.message = text
return hs
