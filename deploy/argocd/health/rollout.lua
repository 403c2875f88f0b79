-- Argo CD health of an ogf.dev Rollout, from status.phase.
-- Healthy: Succeeded. Degraded: Aborted, RolledBack, Failed (traffic is on the
-- old image or never moved). Suspended: AwaitingPromotion (promote it), or
-- waiting for a paused Marketplace. Progressing: every other phase.
local hs = {}

if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator"
  return hs
end

local status = obj.status
local phase = status.phase
local message = status.message or ""
local function with_message(text)
  if message ~= "" then
    return text .. ": " .. message
  end
  return text
end

local generation = obj.metadata.generation
local observed = status.observedGeneration
local terminal = phase == "Succeeded" or phase == "Aborted" or phase == "RolledBack" or phase == "Failed"

if generation ~= nil and observed ~= nil and observed < generation and not terminal then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
elseif phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = with_message("Succeeded")
elseif phase == "Aborted" or phase == "RolledBack" or phase == "Failed" then
  hs.status = "Degraded"
  local text = phase
  if status.reason ~= nil and status.reason ~= "" then
    text = text .. " (" .. status.reason .. ")"
  end
  hs.message = with_message(text)
elseif phase == "AwaitingPromotion" then
  hs.status = "Suspended"
  hs.message = with_message("Awaiting promotion (the promote action sets spec.promote)")
elseif status.pausedAt ~= nil then
  hs.status = "Suspended"
  hs.message = with_message(phase .. ", waiting for its paused Marketplace")
else
  hs.status = "Progressing"
  hs.message = with_message(phase)
end
return hs
