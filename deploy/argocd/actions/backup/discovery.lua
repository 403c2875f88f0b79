-- Argo CD actions offered on an ogf.dev Backup.
--   run-now: not while a backup Job runs (annotation ogf.dev/run-now)
--   suspend / resume: toggle spec.suspend of a scheduled Backup
local actions = {}
local spec = obj.spec or {}
local running = obj.status ~= nil and obj.status.activeJob ~= nil
local scheduled = spec.schedule ~= nil and spec.schedule ~= ""

actions["run-now"] = {
  ["iconClass"] = "fa fa-fw fa-play",
  ["displayName"] = "Run now",
  ["disabled"] = running,
}
actions["suspend"] = {
  ["iconClass"] = "fa fa-fw fa-pause",
  ["disabled"] = not scheduled or spec.suspend == true,
}
actions["resume"] = {
  ["iconClass"] = "fa fa-fw fa-play-circle",
  ["disabled"] = spec.suspend ~= true,
}
return actions
