-- Argo CD actions offered on an ogf.dev Rollout, enabled by its phase.
--   promote: AwaitingPromotion and not promoted yet (sets spec.promote)
--   abort:   any non-terminal phase, not aborted yet (sets spec.abort)
--   retry:   Aborted or RolledBack (annotation ogf.dev/retry, clears spec.abort)
local actions = {}
local phase = "Pending"
if obj.status ~= nil and obj.status.phase ~= nil then
  phase = obj.status.phase
end
local spec = obj.spec or {}
local terminal = phase == "Succeeded" or phase == "Aborted" or phase == "RolledBack" or phase == "Failed"

actions["promote"] = {
  ["iconClass"] = "fa fa-fw fa-forward",
  ["disabled"] = not (phase == "AwaitingPromotion" and spec.promote ~= true),
}
actions["abort"] = {
  ["iconClass"] = "fa fa-fw fa-times-circle",
  ["disabled"] = terminal or spec.abort == true,
}
actions["retry"] = {
  ["iconClass"] = "fa fa-fw fa-redo-alt",
  ["disabled"] = not (phase == "Aborted" or phase == "RolledBack"),
}
return actions
