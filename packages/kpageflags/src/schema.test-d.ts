import { expectTypeOf, test } from "vitest";
import type { SurveyJson } from "./schema.js";
import type { Survey } from "./survey.js";

// JSON.stringify(survey) drops undefined members; what remains must be what the schema describes.
type Jsonable<T> = T extends readonly (infer E)[]
  ? Jsonable<E>[]
  : T extends object
    ? { -readonly [K in keyof T]: Jsonable<Exclude<T[K], undefined>> }
    : T;

test("a survey, as JSON, is what the published schema describes", () => {
  expectTypeOf<Jsonable<Survey>["uses"]>().toEqualTypeOf<SurveyJson["uses"]>();
  expectTypeOf<Jsonable<Survey>["quirks"]>().toEqualTypeOf<SurveyJson["quirks"]>();
  expectTypeOf<Jsonable<Survey>["ram"]>().toEqualTypeOf<SurveyJson["ram"]>();
  expectTypeOf<Jsonable<Survey>["flagWords"]>().toEqualTypeOf<SurveyJson["flagWords"]>();
  expectTypeOf<keyof Survey>().toEqualTypeOf<keyof SurveyJson>();
});
