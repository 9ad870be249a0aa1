// Checks an audit receipt entirely in the browser: canonical JSON (sorted keys, no whitespace),
// leaf = SHA-256(0x00 || event), RFC 9162 inclusion proof to the signed root, Ed25519 head signature.
(function () {
  "use strict";
  const hex = (s) => new Uint8Array((s.match(/../g) || []).map((b) => parseInt(b, 16)));
  const toHex = (a) => Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
  const utf8 = (s) => new TextEncoder().encode(s);
  const cat = (...parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let i = 0; for (const p of parts) { out.set(p, i); i += p.length; } return out; };
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const leafHash = (data) => sha256(cat(new Uint8Array([0]), data));
  const nodeHash = (l, r) => sha256(cat(new Uint8Array([1]), l, r));

  function canon(v) {
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canon(v[k])).join(",") + "}";
  }

  async function inclusion(index, size, leaf, proof, root) {
    if (index < 0 || index >= size) return false;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) return false;
      if ((fn & 1) || fn === sn) {
        r = await nodeHash(p, r);
        while (!(fn & 1) && fn !== 0) { fn >>= 1; sn >>= 1; }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1; sn >>= 1;
    }
    return sn === 0 && toHex(r) === toHex(root);
  }

  async function check(text, keyHex) {
    let receipt;
    try { receipt = JSON.parse(text); } catch (e) { return "bad-json"; }
    if (!receipt || !receipt.event || !receipt.signed_head) return "bad-json";
    const head = receipt.signed_head;
    const leaf = await leafHash(utf8(canon(receipt.event)));
    if ((receipt.leaf_hash && receipt.leaf_hash !== toHex(leaf)) || receipt.event.seq !== receipt.leaf_index) return "bad-leaf";
    const proof = (receipt.inclusion_proof || []).map(hex);
    if (!(await inclusion(receipt.leaf_index, head.tree_size, leaf, proof, hex(head.root_hash)))) return "bad-proof";
    let key;
    try {
      key = await crypto.subtle.importKey("raw", hex(keyHex.trim()), { name: "Ed25519" }, false, ["verify"]);
    } catch (e) { return (e && e.name === "NotSupportedError") ? "no-crypto" : "bad-signature"; }
    const message = utf8(canon({ schema: head.schema, tree_size: head.tree_size, timestamp_ms: head.timestamp_ms, root_hash: head.root_hash }));
    const signature = Uint8Array.from(atob(head.signature), (c) => c.charCodeAt(0));
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
    return ok ? "ok" : "bad-signature";
  }

  const button = document.getElementById("verify");
  const verdict = document.getElementById("verdict");
  if (!button || !verdict) return;
  button.addEventListener("click", async function () {
    verdict.textContent = "…";
    let outcome;
    try {
      outcome = (window.crypto && crypto.subtle) ? await check(document.getElementById("receipt").value, document.getElementById("public-key").value) : "no-crypto";
    } catch (e) { outcome = "bad-json"; }
    verdict.textContent = verdict.dataset[outcome.replace(/-(.)/g, (_, c) => c.toUpperCase())];
    verdict.className = outcome === "ok" ? "verdict-ok" : "verdict-bad";
    verdict.dataset.outcome = outcome;
  });
})();
