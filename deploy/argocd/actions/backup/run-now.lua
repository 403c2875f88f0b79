-- Run a backup now: the operator starts one backup Job for each new value of
-- the ogf.dev/run-now annotation (an RFC 3339 UTC time), schedule or not.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["ogf.dev/run-now"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
