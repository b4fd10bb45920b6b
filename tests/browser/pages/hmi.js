// What a web HMI's DMS client does, in a few lines: the browser's own WebSocket, each
// answer matched to its request by the root tag, events kept in arrival order, and
// every frame the page received kept for the test to look at.
"use strict";

class DmsSocket {
  constructor(ws) {
    this.ws = ws;
    this.frames = [];        // every message received, as text, in order
    this.answers = new Map(); // root tag (as JSON) -> resolve of the waiting request
    this.events = [];
    this.eventWaiters = [];
    this.closing = new Promise((resolve) => {
      ws.onclose = (e) => {
        for (const resolve of this.answers.values()) resolve({closed: e.code});
        this.answers.clear();
        for (const resolve of this.eventWaiters) resolve({closed: e.code});
        this.eventWaiters = [];
        resolve({code: e.code, reason: e.reason, wasClean: e.wasClean});
      };
    });
    ws.onmessage = (e) => this.received(e.data);
  }

  // Resolves with the open socket; rejects with the close code when it never opens.
  static open(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => resolve(new DmsSocket(ws));
      ws.onclose = (e) => reject(new Error(`not opened: close ${e.code} ${e.reason}`));
    });
  }

  received(text) {
    this.frames.push(text);
    const frame = JSON.parse(text);
    if ("event" in frame) {
      for (const item of frame.event) {
        const waiter = this.eventWaiters.shift();
        if (waiter) waiter(item); else this.events.push(item);
      }
      return;
    }
    const key = JSON.stringify(frame.tag);
    const resolve = this.answers.get(key);
    if (resolve) {
      this.answers.delete(key);
      resolve(frame);
    }
  }

  // Send one request (an object with a root tag of its own); resolves with its answer.
  request(message) {
    return new Promise((resolve) => {
      this.answers.set(JSON.stringify(message.tag), resolve);
      this.ws.send(JSON.stringify(message));
    });
  }

  // Send text as it is (a deliberately broken request); resolves with the answer of tag.
  requestText(text, tag) {
    return new Promise((resolve) => {
      this.answers.set(JSON.stringify(tag), resolve);
      this.ws.send(text);
    });
  }

  // The next event item (one already received, or the next to come).
  nextEvent() {
    if (this.events.length) return Promise.resolve(this.events.shift());
    return new Promise((resolve) => this.eventWaiters.push(resolve));
  }

  // Close with code and reason; resolves with how the close event saw it.
  close(code, reason) {
    this.ws.close(code, reason);
    return this.closing;
  }
}
