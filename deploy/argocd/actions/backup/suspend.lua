-- Suspend: no scheduled backups start (a running one finishes).
obj.spec.suspend = true
return obj
