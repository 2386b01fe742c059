-- Argo CD health check for modelmon.io/RetrainingJob (resource.customizations.health.modelmon.io_RetrainingJob).
-- Progressing while it trains, validates and rolls out; Suspended while the rollout waits for a person
-- (paused: `kubectl modelmon promote|retry|abort`) and once it was cancelled; Healthy when the new
-- model was promoted; Degraded when it failed or was rolled back.
local hs = {}

local function say(text, fallback)
  if text ~= nil and text ~= "" then
    return text
  end
  return fallback
end

if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to start the retraining"
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= nil and obj.status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile generation " .. generation
  return hs
end

local phase = obj.status.phase
local message = say(obj.status.message, phase)
if phase == "Succeeded" then
  hs.status = "Healthy"
elseif phase == "Failed" or phase == "RolledBack" then
  hs.status = "Degraded"
  message = phase .. " (" .. say(obj.status.reason, "no reason") .. "): " .. message
elseif phase == "Cancelled" then
  hs.status = "Suspended"
elseif phase == "RollingOut" and obj.status.rollout ~= nil and obj.status.rollout.phase == "Paused" then
  hs.status = "Suspended"
  message = "Paused (" .. say(obj.status.rollout.pausedReason, "Paused") .. "): " .. say(obj.status.rollout.message, message)
elseif phase == "RollingOut" and obj.status.rollout ~= nil then
  hs.status = "Progressing"
  message = say(obj.status.rollout.message, message)
else
  hs.status = "Progressing"
end
hs.message = message
return hs
