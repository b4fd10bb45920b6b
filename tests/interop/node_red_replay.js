// Replays the frames of the vendor's Node-RED nodes (node-red-contrib-promosnt-connector
// 1.0.2) against a DMS, with the WebSocket library those nodes use (ws 7, from npm).
// Our own client, written from the field evidence: it sends what the nodes send, the way
// they send it (every payload as a binary frame: send(Buffer.from(JSON.stringify(p))),
// no tags, the handler's payload re-sent after each reconnect, a reconnect 1 s after a
// close), and prints one JSON object with every frame it received, by phase.
//
//   node node_red_replay.js ws://127.0.0.1:PORT/json_data
"use strict";

const WebSocket = require("ws");

const url = process.argv[2];
const STEP_MS = 10000;

// The handler node's shipped default payload.
const HANDLER_DEFAULT = {
  whois: "MyServiceName", user: "", set: [], get: [],
  subscribe: [{ path: "System", event: "onChange", query: { maxDepth: 0 } }],
};
// The subscribe node: one item per configured path, single datapoints included, always
// with a query, without whois and user.
const SUBSCRIBE_NODE = {
  subscribe: ["System:Time", "Test:Int"].map((path) => ({
    path, event: "onChange", query: { maxDepth: 0 },
  })),
};
// The write node: a whois made from the JavaScript Date() string, the value parsed first.
const writeNode = (path, text) => ({
  whois: "WriteToDms_" + Date().valueOf(), user: "",
  set: [{ path, value: parseInt(text) }],
});

function send(ws, payload) {
  ws.send(Buffer.from(JSON.stringify(payload)));
}

// Opens a connection that sends `payload` on open (as the nodes do) and keeps every
// frame it receives; `until(frames)` says when the phase has seen enough.
function phase(payload, until) {
  return new Promise((resolve, reject) => {
    const frames = [];
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("timed out with " + JSON.stringify(frames).slice(0, 2000)));
    }, STEP_MS);
    ws.on("open", () => { if (payload) send(ws, payload); });
    ws.on("message", (data) => {
      frames.push(JSON.parse(data));
      if (until(frames)) {
        clearTimeout(timer);
        resolve({ ws, frames });
      }
    });
    ws.on("error", (err) => { clearTimeout(timer); reject(err); });
  });
}

const events = (frames) => frames.flatMap((f) => f.event || []);
const answered = (key) => (frames) => frames.some((f) => key in f);
const hasEvent = (path) => (frames) => events(frames).some((e) => e.path === path);
const closed = (ws) => new Promise((resolve) => { ws.on("close", resolve); ws.close(); });

async function main() {
  const out = {};
  // 1. the handler node with its default payload: empty arrays beside a subscription
  const handler = await phase(HANDLER_DEFAULT, (f) => answered("subscribe")(f)
    && hasEvent("System:Time")(f));
  out.handler = handler.frames;
  // 2. the subscribe node: single datapoints with a query
  const subscriber = await phase(SUBSCRIBE_NODE, (f) => answered("subscribe")(f)
    && hasEvent("System:Time")(f));
  // 3. the write node, on its own connection: its write reaches the subscriber
  const written = new Promise((resolve) => {  // phase() keeps collecting its frames
    subscriber.ws.on("message", (data) => {
      if (hasEvent("Test:Int")([JSON.parse(data)])) resolve();
    });
  });
  const writer = await phase(writeNode("Test:Int", "45"), answered("set"));
  await written;
  out.subscriber = subscriber.frames;
  out.writer = writer.frames;
  // 4. a reconnect: the handler closes, comes back 1 s later and sends its payload again
  await closed(handler.ws);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const again = await phase(HANDLER_DEFAULT, (f) => answered("subscribe")(f)
    && hasEvent("System:Time")(f));
  out.reconnected = again.frames;
  await Promise.all([again.ws, subscriber.ws, writer.ws].map(closed));
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(String(err && err.stack || err) + "\n");
  process.exit(1);
});
