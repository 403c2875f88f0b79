-- Retry an Aborted or RolledBack Rollout: a new ogf.dev/retry value starts it
-- again from Pending; spec.abort goes back to false, or it would abort again.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["ogf.dev/retry"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
obj.spec.abort = false
return obj
