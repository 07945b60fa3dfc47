// The phone's own storage for the field app (IndexedDB), in a few promise-returning calls.
//
// Two stores, each indexed by the signed-in user's id so that a shared phone never shows or sends one
// person's visits as another's:
//   drafts — visits not yet accepted by the server (keyPath client_id): fields, files as Blobs, status;
//   forms  — visit forms this phone keeps for use without a connection (keyPath url), with firm names.
// Written here rather than vendored: idb-keyval (the usual tiny library) is key-value only, and the
// drafts need an index per user and two stores; this is all of it.

const NAME = "ltq-field";
const VERSION = 1;
let opening = null;

export function openDb() {
  if (!opening) {
    opening = new Promise(function (resolve, reject) {
      if (!("indexedDB" in self)) {
        reject(new Error("此浏览器不支持离线存储"));
        return;
      }
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = function () {
        const db = request.result;
        for (const [store, key] of [["drafts", "client_id"], ["forms", "url"]]) {
          if (!db.objectStoreNames.contains(store)) {
            db.createObjectStore(store, { keyPath: key }).createIndex("user_id", "user_id");
          }
        }
      };
      request.onsuccess = function () {
        const db = request.result;
        db.onversionchange = function () { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = function () { opening = null; reject(request.error); };
      request.onblocked = function () { opening = null; reject(new Error("离线存储被其他页面占用，请关闭其他标签页后重试")); };
    });
  }
  return opening;
}

// One request in its own transaction; resolves once the transaction has committed.
function call(storeName, mode, makeRequest) {
  return openDb().then(function (db) {
    return new Promise(function (resolve, reject) {
      const tx = db.transaction(storeName, mode);
      const request = makeRequest(tx.objectStore(storeName));
      tx.oncomplete = function () { resolve(request.result); };
      tx.onerror = function () { reject(tx.error || request.error); };
      tx.onabort = function () { reject(tx.error || new Error("离线存储写入失败")); };
    });
  });
}

function store(name) {
  return {
    get: function (key) { return call(name, "readonly", function (s) { return s.get(key); }); },
    put: function (value) { return call(name, "readwrite", function (s) { return s.put(value); }); },
    remove: function (key) { return call(name, "readwrite", function (s) { return s.delete(key); }); },
    ofUser: function (userId) {
      return call(name, "readonly", function (s) { return s.index("user_id").getAll(String(userId)); });
    },
  };
}

export const drafts = store("drafts");
export const forms = store("forms");
