-- Abort: stop the Rollout; the old color keeps (or gets back) the traffic.
obj.spec.abort = true
return obj
