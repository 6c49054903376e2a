// schema.d.ts from the committed openapi.json, with openapi-typescript's
// Node API. One transform, the one its documentation gives for files: a
// binary string (`format: binary`, a document's bytes) is a `Blob`, which
// fetch sends as it is; everything else is typed as the CLI types it.
import { writeFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const ast = await openapiTS(new URL("../../openapi.json", import.meta.url), {
  transform(schemaObject) {
    if (schemaObject.format === "binary") {
      return BLOB;
    }
    return undefined;
  },
});
writeFileSync(new URL("schema.d.ts", import.meta.url), astToString(ast));
