// The tests' scenarios, as an HMI page would run them; each returns everything the page
// saw, for the test to check against the demo plant.
"use strict";

const SETPOINT = "Plant:HC1:TempFlowSet";

// Read, write, subscribe (a second tab writes, this one hears of it), unsubscribe, a
// long request with a long answer, close.
async function plantTour(url, whois) {
  const hmi = await DmsSocket.open(url);
  const seen = {extensions: hmi.ws.extensions, protocol: hmi.ws.protocol};
  seen.get = await hmi.request({tag: "get", get: [
    {path: "Plant:HC3:TempFlowSet"},
    {path: "Plant:HC1:Pump:RunHours", showExtInfos: ["unit", "accType"]}]});
  seen.set = await hmi.request({tag: "set", whois, user: "",
                                set: [{path: SETPOINT, value: 47.5}]});
  seen.reread = await hmi.request({tag: "reread", get: [SETPOINT]});
  seen.subscribe = await hmi.request({tag: "subscribe", subscribe: [
    {path: SETPOINT, event: "onChange", tag: "setpoint"}]});
  const tab = await DmsSocket.open(url);
  await tab.request({tag: "write", whois: `${whois}-tab2`, user: "",
                     set: [{path: SETPOINT, value: 48}]});
  seen.event = await hmi.nextEvent();
  seen.unsubscribe = await hmi.request({tag: "unsubscribe", unsubscribe: [
    {path: SETPOINT, tag: "setpoint"}]});
  await tab.request({tag: "write again", whois: `${whois}-tab2`, user: "",
                     set: [{path: SETPOINT, value: 49}]});
  // an event for this tab is queued before the other tab's answer, so before this one
  seen.last = await hmi.request({tag: "last", get: [SETPOINT]});
  seen.eventsAfterUnsubscribe = hmi.events.length;
  const many = [];
  for (let i = 0; i < 2000; i++) many.push({path: "Plant:HC2:TempReturn", tag: `item ${i}`});
  const long = await hmi.request({tag: "long", get: many});
  seen.long = {items: long.get.length, ok: long.get.filter((i) => i.code === "ok").length,
               tags: long.get.every((item, i) => item.tag === `item ${i}`)};
  seen.tabClose = await tab.close(1000, "tab closed");
  seen.close = await hmi.close(1000, "HMI closed");
  return seen;
}

// Requests that break the protocol, as a buggy HMI sends them; their answers.
async function brokenRequests(url) {
  const hmi = await DmsSocket.open(url);
  const answers = {
    numberPath: await hmi.requestText('{"tag": "number path", "get": [{"path": 5}]}',
                                      "number path"),
    unknownCommand: await hmi.requestText(
      '{"tag": "unknown command", "frobnicate": [{"path": "System:Time"}]}',
      "unknown command"),
  };
  answers.close = await hmi.close(1000, "");
  return answers;
}

// A request over the DMS's limit of 4 MiB; how the DMS's close (1009) reached the page.
async function tooLargeRequest(url) {
  const hmi = await DmsSocket.open(url);
  hmi.ws.send(JSON.stringify({tag: "too large", get: [{path: "x".repeat(4 * 1024 * 1024)}]}));
  return hmi.closing;
}

// One POST with fetch(); what the page could read of the answer, or what fetch threw.
async function post(url, body, contentType) {
  try {
    const response = await fetch(url, {method: "POST", body,
                                       headers: {"Content-Type": contentType}});
    return {status: response.status, body: await response.text()};
  } catch (error) {
    return {error: `${error.name}: ${error.message}`};
  }
}
