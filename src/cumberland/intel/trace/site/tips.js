/* Proof of work for the tip form: progressive enhancement, the form works without it (the
   server then accepts tips at a slower, global pace). Nothing is sent anywhere but the form.

   inner = SHA-256(UTF-8("cumberland-tip/1\n" object "\n" lang "\n" minute "\n" text "\0" contact))
   work  = SHA-256(inner || nonce as 8 bytes big-endian), needing data-pow-bits leading zero bits;
   minute = whole minutes since 1970 (UTC), text with line breaks as "\n". */
(function () {
  "use strict";
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  var W = new Uint32Array(64);

  function sha256(msg) {
    var len = msg.length, size = ((len + 9 + 63) >> 6) << 6, i, off;
    var m = new Uint8Array(size);
    m.set(msg);
    m[len] = 0x80;
    var v = new DataView(m.buffer);
    v.setUint32(size - 8, Math.floor(len / 536870912));
    v.setUint32(size - 4, (len * 8) >>> 0);
    var h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    for (off = 0; off < size; off += 64) {
      for (i = 0; i < 16; i++) W[i] = v.getUint32(off + i * 4);
      for (i = 16; i < 64; i++) {
        var x = W[i - 15], y = W[i - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
      for (i = 0; i < 64; i++) {
        var t1 = (k + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7)))
                  + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        var t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10)))
                  + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
    }
    var out = new Uint8Array(32), o = new DataView(out.buffer);
    for (i = 0; i < 8; i++) o.setUint32(i * 4, h[i]);
    return out;
  }

  function enough(digest, bits) {
    var i = 0;
    for (; bits >= 8; bits -= 8, i++) if (digest[i] !== 0) return false;
    return bits === 0 || (digest[i] >> (8 - bits)) === 0;
  }

  function prepare(form, event) {
    if (form.getAttribute("data-ready") === "1" || !window.TextEncoder) return;
    event.preventDefault();
    var field = function (name) { return form.elements.namedItem(name); };
    var bits = parseInt(form.getAttribute("data-pow-bits"), 10);
    var status = form.querySelector(".pow-status"), button = form.querySelector("button");
    if (status) status.hidden = false;
    if (button) button.disabled = true;
    var minute = Math.floor(Date.now() / 60000);
    var text = field("text").value.replace(/\r\n?/g, "\n");
    var inner = sha256(new TextEncoder().encode("cumberland-tip/1\n" + field("object").value +
      "\n" + field("lang").value + "\n" + minute + "\n" + text + "\u0000" + field("contact").value));
    var work = new Uint8Array(40), view = new DataView(work.buffer), nonce = 0;
    work.set(inner);
    (function step() {
      for (var end = nonce + 20000; nonce < end; nonce++) {
        view.setUint32(32, Math.floor(nonce / 4294967296));
        view.setUint32(36, nonce >>> 0);
        if (enough(sha256(work), bits)) {
          field("pow_t").value = String(minute);
          field("pow_n").value = String(nonce);
          form.setAttribute("data-ready", "1");
          form.submit();
          return;
        }
      }
      setTimeout(step, 0);
    })();
  }

  var forms = document.querySelectorAll("form[data-pow-bits]");
  for (var i = 0; i < forms.length; i++) {
    (function (form) {
      form.addEventListener("submit", function (event) { prepare(form, event); });
    })(forms[i]);
  }
})();
