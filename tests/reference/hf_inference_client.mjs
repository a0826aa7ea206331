// Test-only: Hugging Face's own JavaScript client, used as a user would, against `bertft serve --api
// hf-inference`. Usage: node hf_inference_client.mjs ENDPOINT_URL TEXT...; prints one JSON line, the
// textClassification result of each text in turn.
import { InferenceClient } from "@huggingface/inference";

const [endpointUrl, ...texts] = process.argv.slice(2);
const client = new InferenceClient(undefined, { endpointUrl });
const results = [];
for (const inputs of texts) results.push(await client.textClassification({ inputs }));
console.log(JSON.stringify(results));
