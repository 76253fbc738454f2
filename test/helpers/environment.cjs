// Jest gives each test file its own realm; libraries that check `instanceof Uint8Array`
// (jose, oidc-provider) then reject buffers made by Node's own realm. Share the typed-array
// constructors with the outer realm so both sides agree.
const { TestEnvironment } = require('jest-environment-node');

class PortaEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of ['Uint8Array', 'ArrayBuffer', 'TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams']) {
      this.global[name] = globalThis[name];
    }
    // structuredClone is Node's, so its copies are plain objects of the outer realm, and oidc-provider's
    // `value.constructor === Object` checks (a client's jwks, say) refuse them. Rebuild them in this realm.
    const inner = this.global;
    const toInner = (value) => {
      if (Array.isArray(value)) return inner.Array.from(value, toInner);
      if (value && Object.getPrototypeOf(value) === Object.prototype) {
        const copy = new inner.Object();
        for (const [k, v] of Object.entries(value)) copy[k] = toInner(v);
        return copy;
      }
      return value;
    };
    this.global.structuredClone = (value, options) => toInner(structuredClone(value, options));
    // oidc-provider builds its SSRF-protected fetch agent from undici's global dispatcher; without it
    // the protection would be off in tests but on in production.
    void globalThis.Response; // loads undici, which registers the global dispatcher
    for (const symbol of Object.getOwnPropertySymbols(globalThis)) {
      if (String(symbol.description).startsWith('undici.globalDispatcher')) this.global[symbol] = globalThis[symbol];
    }
  }
}
module.exports = PortaEnvironment;
