-- Resume scheduled backups.
obj.spec.suspend = false
return obj
