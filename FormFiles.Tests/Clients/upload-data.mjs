// Uploads a file through an upload SAS URL as a JavaScript client of @azure/storage-blob does it,
// with uploadData: one Put Blob up to its maxSingleShotSize (256 MiB by default), blocks above it.
// Usage: node upload-data.mjs <sas url> <file> [maxSingleShotSize]
// Prints the HTTP status of the storage answer that ended the upload (201 when it was stored).
import { readFile } from "node:fs/promises";
import { BlockBlobClient } from "@azure/storage-blob";

const [sasUrl, path, singleShot] = process.argv.slice(2);
const data = await readFile(path);
const options = singleShot ? { maxSingleShotSize: Number(singleShot), blockSize: Number(singleShot) } : {};
try {
  const answer = await new BlockBlobClient(sasUrl).uploadData(data, options);
  console.log(answer._response.status);
} catch (error) {
  console.log(error.statusCode ?? "error " + error.message);
}
