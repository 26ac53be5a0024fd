import { main } from "./main.js";

// Started by index.js (the bin); unexpected errors keep their stack trace and exit 2.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  },
);
