// Independent reference: the official nats.js client, same pattern as `siem bench transport`.
import { connect, AckPolicy, StorageType } from "nats";
const url = process.argv[2], N = +process.argv[3] || 200000, size = 256, window = +(process.argv[4]||1024);
const nc = await connect({ servers: url });
const jsm = await nc.jetstreamManager();
await jsm.streams.add({ name: "REF", subjects: ["ref.>"], storage: StorageType.File });
const js = nc.jetstream();
const data = new Uint8Array(size).fill(97);
let t0 = performance.now();
const inflight = [];
for (let i = 0; i < N; i++) {
  inflight.push(js.publish("ref.x", data));
  if (inflight.length >= window) { await Promise.all(inflight.splice(0, inflight.length)); }
}
await Promise.all(inflight);
const pub = N / ((performance.now() - t0) / 1000);
await jsm.consumers.add("REF", { durable_name: "c", ack_policy: AckPolicy.Explicit });
const c = await js.consumers.get("REF", "c");
t0 = performance.now();
let got = 0;
const iter = await c.consume({ max_messages: 1000 });
for await (const m of iter) { m.ack(); if (++got === N) break; }
const cons = N / ((performance.now() - t0) / 1000);
console.log(JSON.stringify({ client: "nats.js", messages: N, size, publish_per_sec: Math.round(pub), consume_per_sec: Math.round(cons) }));
await nc.close();
