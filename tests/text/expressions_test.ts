// English expressions with a rule-given Spanish: what is found, what is left alone, and
// how the rendered spans come back inside a translation.
import { deepEqual, equal } from "node:assert/strict";
import { englishExpressions } from "../../src/text/expressions.ts";
import { maskSpans, unmaskSpans } from "../../src/text/verbatim.ts";

const spanish = (text: string) => englishExpressions(text).map((r) => r.spanish);

Deno.test("times: with their preposition, a clock or a.m./p.m.; article la for one o'clock", () => {
  deepEqual(spanish("The meeting is at 3 p.m."), ["a las 3 p. m."]);
  deepEqual(spanish("Let's meet at 10:30."), ["a las 10:30"]);
  deepEqual(spanish("At 1:15 we eat."), ["a la 1:15"]);
  deepEqual(spanish("I get up at 6 a.m. every day."), ["a las 6 a. m."]);
  deepEqual(spanish("Open from 9 a.m. to 5 p.m."), ["desde las 9 a. m.", "a las 5 p. m."]);
  deepEqual(spanish("Wait until 8:45 or before 9 o'clock."), ["hasta las 8:45", "antes de las 9"]);
  deepEqual(spanish("Come at 9:30 o'clock."), ["a las 9:30"]);
  deepEqual(spanish("The train leaves 7:05 AM"), ["7:05 a. m."]);
  deepEqual(spanish("Call me at 9, ok?"), ["a las 9"]);
  deepEqual(spanish("Call me at 9 tomorrow."), ["a las 9"]);
});

Deno.test("not times: amounts, decimals, degrees, addresses, ages, versions", () => {
  for (
    const text of [
      "Actinium vaporizes at 3,198°C.",
      "It grows at 3.5 percent.",
      "Sold at 9%.",
      "I live at 9 Main Street.",
      "He retired at 65.",
      "Use version 2.3 now.",
      "She was at 25 meters.",
      "I have 3 cats.",
    ]
  ) deepEqual(englishExpressions(text), [], text);
});

Deno.test("titles with a name: Spanish title and article, a preposition contracted, none when spoken to", () => {
  deepEqual(spanish("Dr. Martínez will see you now."), ["el Dr. Martínez"]);
  deepEqual(spanish("I have an appointment with Dr. López."), ["con el Dr. López"]);
  deepEqual(spanish("Give it to Mr. Smith."), ["al Sr. Smith"]);
  deepEqual(spanish("The car of Mrs. García"), ["de la Sra. García"]);
  deepEqual(spanish("Ms. Brown and Prof. Díaz"), ["la Sra. Brown", "y el Prof. Díaz"]);
  deepEqual(spanish("Thank you, Dr. López."), ["Dr. López"]);
  deepEqual(spanish("Mr. and Mrs. Taylor live here."), ["el Sr. y la Sra. Taylor"]);
  deepEqual(spanish("Mr Smith is British."), ["el Sr. Smith"]);
  // Not a title: no name after it, or a word that only starts like one.
  deepEqual(englishExpressions("The drums. Mrs"), []);
  deepEqual(englishExpressions("Ask the Dr. about it"), []);
});

Deno.test("money, dates, months and e.g.", () => {
  deepEqual(spanish("It costs 20 euros."), ["20 euros"]);
  deepEqual(spanish("It costs 1 dollar or $5 or €2.50."), ["1 dólar", "5 dólares", "2.50 euros"]);
  deepEqual(spanish("I paid 1,200 pounds."), ["1,200 libras"]);
  deepEqual(spanish("My birthday is on May 3."), ["el 3 de mayo"]);
  deepEqual(spanish("Yesterday was Tuesday, January 26, 2010."), ["26 de enero de 2010"]);
  deepEqual(spanish("Offline on October 20th."), ["el 20 de octubre"]);
  deepEqual(spanish("In May we travel, in September we work."), ["en mayo", "en septiembre"]);
  deepEqual(spanish("May I go? It's May."), []);
  deepEqual(spanish("Bring fruit, e.g. apples."), ["p. ej."]);
});

Deno.test("rendered spans: placed in Spanish, no doubled preposition, contracted, one full stop", () => {
  const rules = englishExpressions;
  const m = maskSpans("The meeting is at 3 p.m.", undefined, rules);
  deepEqual(m.spans, ["a las 3 p. m."]);
  equal(m.text, "The meeting is \u0001");
  equal(unmaskSpans("La reunión es \u0001.", m.spans, m), "La reunión es a las 3 p. m.");
  equal(unmaskSpans("Veamos a \u0001.", ["a las 10:30"]), "Veamos a las 10:30.");
  equal(unmaskSpans("Pregunta a \u0001.", ["el Sr. Jones"]), "Pregunta al Sr. Jones.");
  equal(unmaskSpans("Es en \u0001.", ["el 3 de mayo"]), "Es el 3 de mayo.");
  equal(unmaskSpans("\u0001 te verá.", ["el Dr. Martínez"]), "El Dr. Martínez te verá.");
  equal(unmaskSpans("¿\u0001 llamó?", ["la Sra. García"]), "¿La Sra. García llamó?");
  // Spans that are not rendered are never capitalized or merged.
  equal(unmaskSpans("\u0001 es un comando.", ["ls -la"]), "ls -la es un comando.");
  // Next to other spans, a rendered one is one span with them.
  const both = maskSpans("Dr. López at 5 p.m. 🎉", undefined, rules);
  deepEqual(both.spans, ["el Dr. López a las 5 p. m. 🎉"]);
  // Without rules (the es→en model), the same text is masked as before.
  deepEqual(maskSpans("The meeting is at 3 p.m.").spans, ["3"]);
  // Private-use characters in the text: rules are not applied, nothing is lost.
  const pua = maskSpans("at 3 p.m. \ue000", undefined, rules);
  equal(unmaskSpans(pua.text, pua.spans, pua), "at 3 p.m. \ue000");
});
