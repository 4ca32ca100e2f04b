/* Light photos that keep their evidence (docs/photos.md).
 *
 * window.InspectorPhotos.prepare(file[, {original: bool}]) -> Promise<{blob, name, fields}>
 *   A JPEG is decoded, scaled so its long edge is at most 2048 px (the display size the server
 *   keeps) and encoded again at quality 0.8, typically 300-500 KB instead of 4 MB. The original's
 *   EXIF segment (APP1: capture time, GPS, camera) is moved across by hand. Where this browser
 *   turns the pixels upright while decoding, the copy's Orientation is set to 1; where it does not,
 *   the pixels stay as stored and the original Orientation is kept. Either way the server reads the
 *   same capture time, position and upright size as from the original.
 *   fields = {original_sha256, original_size, original_name, prepared}: prepared is "resized", or
 *   "original" when the file is sent unchanged (not a JPEG, too small to gain, the browser cannot
 *   decode it, or the county requires originals: data-photo-originals on the page or {original: true}).
 */
(function () {
  "use strict";
  var MAX_EDGE = 2048, QUALITY = 0.8, SMALL_BYTES = 500 * 1024;
  /* 2 x 1 px JPEG whose EXIF says "rotate 90° clockwise" (Orientation 6): decoded 1 x 2 where the
     browser applies EXIF orientation itself. */
  var PROBE = "/9j/4AAQSkZJRgABAQAAAQABAAD/4QAiRXhpZgAATU0AKgAAAAgAAQESAAMAAAABAAYAAAAAAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAABAAIDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDHooorhPqD/9k=";

  function readBuffer(blob) {
    if (blob.arrayBuffer) return blob.arrayBuffer();
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsArrayBuffer(blob);
    });
  }

  function sha256(buffer) {
    if (!(window.crypto && crypto.subtle && crypto.subtle.digest)) return Promise.resolve("");  /* not a secure context */
    return crypto.subtle.digest("SHA-256", buffer).then(function (digest) {
      return Array.prototype.map.call(new Uint8Array(digest), function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      }).join("");
    }, function () { return ""; });
  }

  function isJpeg(bytes) {
    return bytes.length > 3 && bytes[0] === 0xFF && bytes[1] === 0xD8 && bytes[2] === 0xFF;
  }

  /* The marker segments before the image data: [{marker, start, end}] (end exclusive). */
  function segments(bytes) {
    var out = [], i = 2;
    while (i + 4 <= bytes.length && bytes[i] === 0xFF) {
      var marker = bytes[i + 1];
      if (marker === 0xFF) { i += 1; continue; }  /* fill byte */
      if (marker === 0xDA || marker === 0xD9) break;  /* start of scan / end of image */
      var length = (bytes[i + 2] << 8) | bytes[i + 3];
      out.push({ marker: marker, start: i, end: i + 2 + length });
      i += 2 + length;
    }
    return { list: out, rest: i };
  }

  function isExif(bytes, seg) {
    var p = seg.start + 4;  /* "Exif\0\0" */
    return seg.marker === 0xE1 && bytes[p] === 0x45 && bytes[p + 1] === 0x78 && bytes[p + 2] === 0x69 &&
      bytes[p + 3] === 0x66 && bytes[p + 4] === 0 && bytes[p + 5] === 0;
  }

  /* A copy of the original's EXIF APP1 segment (marker and length included), or null. */
  function exifSegment(bytes) {
    var segs = segments(bytes).list;
    for (var k = 0; k < segs.length; k++) {
      if (isExif(bytes, segs[k])) return bytes.slice(segs[k].start, segs[k].end);
    }
    return null;
  }

  /* Where IFD0's Orientation value (tag 0x0112, SHORT) sits in an APP1 segment, or -1. */
  function orientationAt(app1) {
    var tiff = 10, view = new DataView(app1.buffer, app1.byteOffset, app1.byteLength);
    if (app1.length < tiff + 8) return -1;
    var little = view.getUint16(tiff) === 0x4949;
    var ifd = tiff + view.getUint32(tiff + 4, little);
    if (ifd + 2 > app1.length) return -1;
    var count = view.getUint16(ifd, little);
    for (var n = 0; n < count; n++) {
      var entry = ifd + 2 + n * 12;
      if (entry + 12 > app1.length) return -1;
      if (view.getUint16(entry, little) === 0x0112 && view.getUint16(entry + 2, little) === 3) {
        return { offset: entry + 8, little: little, view: view };
      }
    }
    return -1;
  }

  function setOrientation(app1, value) {
    var at = orientationAt(app1);
    if (at !== -1) at.view.setUint16(at.offset, value, at.little);
    return app1;
  }

  /* The encoded copy with its own APP0/APP1 replaced by the original's EXIF, right after SOI. */
  function transplant(encoded, app1) {
    var found = segments(encoded), parts = [encoded.subarray(0, 2), app1], size = 2 + app1.length;
    found.list.forEach(function (seg) {
      if (seg.marker === 0xE0 || seg.marker === 0xE1) return;
      parts.push(encoded.subarray(seg.start, seg.end)); size += seg.end - seg.start;
    });
    parts.push(encoded.subarray(found.rest)); size += encoded.length - found.rest;
    var out = new Uint8Array(size), at = 0;
    parts.forEach(function (part) { out.set(part, at); at += part.length; });
    return out;
  }

  /* Decode a Blob to something drawImage takes, with its width and height. */
  function decode(blob) {
    if (window.createImageBitmap) {
      return createImageBitmap(blob).then(function (bitmap) {
        return { source: bitmap, width: bitmap.width, height: bitmap.height, close: function () { bitmap.close(); } };
      }, function () { return decodeWithImg(blob); });
    }
    return decodeWithImg(blob);
  }

  function decodeWithImg(blob) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(blob), img = new Image();
      img.onload = function () {
        resolve({ source: img, width: img.naturalWidth, height: img.naturalHeight,
                  close: function () { URL.revokeObjectURL(url); } });
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("undecodable")); };
      img.src = url;
    });
  }

  var autoOrients = null;  /* Promise<bool>: does decoding here apply EXIF orientation? */
  function browserAutoOrients() {
    if (!autoOrients) {
      var raw = atob(PROBE), bytes = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      autoOrients = decode(new Blob([bytes], { type: "image/jpeg" })).then(function (d) {
        d.close(); return d.height > d.width;
      }, function () { return true; });
    }
    return autoOrients;
  }

  function toJpeg(canvas) {
    return new Promise(function (resolve, reject) {
      if (!canvas.toBlob) { reject(new Error("no toBlob")); return; }
      canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("encode failed")); }, "image/jpeg", QUALITY);
    });
  }

  function jpegName(name) {
    return (name || "photo").replace(/\.[^.\/]*$/, "") + ".jpg";
  }

  /* Draw the decoded picture at most MAX_EDGE on its long side; the encoded bytes. */
  function downscale(decoded) {
    var scale = Math.min(1, MAX_EDGE / Math.max(decoded.width, decoded.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(decoded.width * scale));
    canvas.height = Math.max(1, Math.round(decoded.height * scale));
    var ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = true; ctx.imageSmoothingQuality = "high";
    ctx.drawImage(decoded.source, 0, 0, canvas.width, canvas.height);
    decoded.close();
    return toJpeg(canvas).then(readBuffer).then(function (buf) {
      canvas.width = canvas.height = 0;  /* free the pixels now, not at the next collection */
      return new Uint8Array(buf);
    });
  }

  function wantsOriginal(options) {
    if (options && typeof options.original === "boolean") return options.original;
    return !!document.querySelector("[data-photo-originals]");
  }

  function resized(file, bytes, fields) {
    return Promise.all([decode(file), browserAutoOrients()]).then(function (got) {
      var decoded = got[0], upright = got[1];
      var small = Math.max(decoded.width, decoded.height) <= MAX_EDGE && file.size <= SMALL_BYTES;
      if (small) { decoded.close(); return null; }
      return downscale(decoded).then(function (encoded) {
        var app1 = exifSegment(bytes);
        if (app1 && upright) setOrientation(app1, 1);
        var out = app1 ? transplant(encoded, app1) : encoded;
        if (out.length >= file.size) return null;  /* nothing gained: send the original */
        fields.prepared = "resized";
        return { blob: new Blob([out], { type: "image/jpeg" }), name: jpegName(file.name), fields: fields };
      });
    });
  }

  function prepare(file, options) {
    var asIs = function (fields) {
      fields.prepared = "original";
      return { blob: file, name: file.name || "photo", fields: fields };
    };
    return readBuffer(file).then(function (buffer) {
      var bytes = new Uint8Array(buffer);
      return sha256(buffer).then(function (hash) {
        var fields = { original_sha256: hash, original_size: String(file.size), original_name: file.name || "" };
        if (!hash) delete fields.original_sha256;
        if (wantsOriginal(options) || !isJpeg(bytes)) return asIs(fields);
        return resized(file, bytes, fields).then(function (out) { return out || asIs(fields); },
                                                 function () { return asIs(fields); });
      });
    });
  }

  window.InspectorPhotos = { prepare: prepare, MAX_EDGE: MAX_EDGE, QUALITY: QUALITY,
                             _exifSegment: exifSegment, _transplant: transplant };
})();
