-- Promote: switch traffic to the new color (the Rollout waits in AwaitingPromotion).
obj.spec.promote = true
return obj
