-- wrk script: a signed-looking AWS JSON 1.0 request for the operation in env PIGEON_OPERATION.
-- CreateConfigurationSet gets a unique name per request (per thread counter), so each call creates.
local operation = os.getenv("PIGEON_OPERATION") or "DescribeAccountAttributes"
local account = os.getenv("PIGEON_ACCOUNT") or "123456789012"
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
  if operation == "CreateConfigurationSet" then
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
