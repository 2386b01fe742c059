-- Argo CD health check for modelmon.io/ModelMonitor (resource.customizations.health.modelmon.io_ModelMonitor).
-- Degraded when the model is in trouble (health Critical, or its data cannot be read) or the spec
-- cannot work (Ready False); Progressing until the operator has reconciled this generation and the
-- first check has run; Suspended while spec.suspend stops the scheduled checks. A Warning is Healthy
-- (with the warning as the message): it pages nobody in modelmon either.
local hs = {}

local function condition(kind)
  if obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      if c.type == kind then
        return c
      end
    end
  end
  return nil
end

local function why(kinds)
  local parts = {}
  for _, kind in ipairs(kinds) do
    local c = condition(kind)
    if c ~= nil and c.status == "True" and c.message ~= nil and c.message ~= "" then
      table.insert(parts, c.message)
    end
  end
  return table.concat(parts, "; ")
end

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile the monitor"
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and (obj.status.observedGeneration == nil or obj.status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile generation " .. generation
  return hs
end

local ready = condition("Ready")
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = (ready.reason or "NotReady") .. ": " .. (ready.message or "")
  return hs
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Scheduled drift checks are suspended (spec.suspend)"
  return hs
end

local health = obj.status.health
if health == "Critical" then
  hs.status = "Degraded"
  hs.message = "Critical: " .. why({"Drifted", "Degraded", "DataQualityDegraded", "DataUnavailable"})
elseif health == "Warning" then
  hs.status = "Healthy"
  hs.message = "Warning: " .. why({"Drifted", "Degraded", "DataQualityDegraded"})
elseif health == "Healthy" then
  hs.status = "Healthy"
  hs.message = "Healthy"
else
  local unavailable = condition("DataUnavailable")
  if unavailable ~= nil and unavailable.status == "True" then
    hs.status = "Degraded"
    hs.message = "Data unavailable: " .. (unavailable.message or "")
  elseif obj.status.lastCheck == nil then
    hs.status = "Progressing"
    hs.message = "Waiting for the first drift check"
  else
    hs.status = "Unknown"
    hs.message = "The last check gave no verdict"
  end
end
return hs
