-- wrk script: a signed-looking AWS JSON 1.0 request for the operation in env PIGEON_OPERATION.
-- CreateConfigurationSet gets a unique name per request (per thread counter), so each call creates.
-- SendTextMessage goes from the simulator number in env PIGEON_ORIGINATION to AWS's US success simulator
-- number (delivered by the simulated carrier; env PIGEON_DESTINATION sends elsewhere, e.g. to an SMSC); with env PIGEON_DRY_RUN set, as a DryRun (checked, not sent).
local operation = os.getenv("PIGEON_OPERATION") or "DescribeAccountAttributes"
local account = os.getenv("PIGEON_ACCOUNT") or "123456789012"
local send_body = string.format(
  '{"DestinationPhoneNumber": "%s", "OriginationIdentity": "%s", "MessageBody": "Your code is 123456"%s}',
  os.getenv("PIGEON_DESTINATION") or "+14254147755", os.getenv("PIGEON_ORIGINATION") or "",
  os.getenv("PIGEON_DRY_RUN") and ', "DryRun": true' or "")

-- PIGEON_DELAY_MS: mean pause per connection between requests (the half-load run paces itself with it),
-- drawn uniformly from 0.5x to 1.5x so that the connections do not fall into step and arrive in bursts.
local pause = tonumber(os.getenv("PIGEON_DELAY_MS") or "")
if pause then
  math.randomseed(os.time())
  function delay()
    return math.floor(pause * (0.5 + math.random()) + 0.5)
  end
end
local counter = 0
local thread_id = 0
local threads = 0

function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

function request()
  counter = counter + 1
  local body = "{}"
  if operation == "SendTextMessage" then
    body = send_body
  elseif operation == "CreateConfigurationSet" then
    body = string.format('{"ConfigurationSetName": "bench-%d-%d-%d"}', thread_id, counter, math.random(1, 1000000000))
  end
  local headers = {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "PinpointSMSVoiceV2." .. operation,
    ["X-Amz-Date"] = "20260101T000000Z",
    ["Authorization"] = "AWS4-HMAC-SHA256 Credential=" .. account ..
      "/20260101/us-east-1/sms-voice/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
  }
  return wrk.format("POST", "/", headers, body)
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
