/**
 * Where the browser phone's SIP stack comes from: SIP.js, a dependency installed by `npm ci` (package.json)
 * and served from static/lib. It ships standard ES modules, which the browser imports as they are.
 * Tests replace `load` with a fake user agent.
 */
export const sipLibrary = {
    url: "/telephony/static/lib/sip.js/index.js",
    async load() {
        return await import(this.url);
    },
};
