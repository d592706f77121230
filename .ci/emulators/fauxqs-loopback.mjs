// Starts fauxqs bound to 127.0.0.1 only. fauxqs 1.9.2 always listens on
// 0.0.0.0; tests must not expose a server beyond loopback, so the listen
// call is narrowed before fauxqs is loaded. Port from FAUXQS_PORT.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args[0] && typeof args[0] === "object" && args[0].host === "0.0.0.0") {
    args[0] = { ...args[0], host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};

const { startFauxqs } = await import("fauxqs");
const server = await startFauxqs({ logger: process.env.FAUXQS_LOGGER === "true" });
console.log(`fauxqs listening at http://127.0.0.1:${server.port}`);
const stop = async () => { await server.stop(); process.exit(0); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
