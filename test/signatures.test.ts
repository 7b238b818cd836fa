/**
 * The "signatures" level (src/packer/signatures): exact output on small examples per language, then
 * REAL repositories from Debian source packages (scripts/fetch-corpus.sh): on a deterministic sample of
 * files per language, no throw, well-formed elisions, every declaration start kept (checked by an
 * independent regex on code lines, found by a small lexer that skips strings, comments and macro
 * continuations), and how much is kept (one JSON line per language). Then the speed on babel's sources.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyElisions, initSignatures, signatureElisions, type Elision } from '../src/packer/signatures/signatures.js';
import { corpusDir } from './helpers/corpus.js';

const lines = (...rows: string[]): string => rows.join('\n') + '\n';

function signatures(language: string, text: string): string {
  const elisions = signatureElisions(language, text);
  assert.ok(elisions, `${language}: no elisions`);
  assertWellFormed(elisions, text.split('\n').length, language);
  return applyElisions(text, elisions);
}

function assertWellFormed(elisions: readonly Elision[], lineCount: number, where: string): void {
  let previous = 0;
  for (const { start, end } of elisions) {
    assert.ok(Number.isInteger(start) && Number.isInteger(end), `${where}: integer lines`);
    assert.ok(start > previous, `${where}: elisions sorted and apart (${start} after ${previous})`);
    assert.ok(end >= start && end <= lineCount, `${where}: ${start}–${end} within ${lineCount} lines`);
    previous = end;
  }
}

test('nothing before initSignatures; init is idempotent and safe to call concurrently', async () => {
  assert.equal(signatureElisions('typescript', 'function f() {\n  a();\n  b();\n  c();\n}\n'), undefined);
  await Promise.all([initSignatures(), initSignatures(), initSignatures()]);
  await initSignatures();
  assert.deepEqual(signatureElisions('typescript', 'function f() {\n  a();\n  b();\n  c();\n}\n'), [{ start: 2, end: 4 }]);
});

test('TypeScript: declarations stay, bodies go, nested functions keep their header', () => {
  const source = lines(
    "import { readFileSync } from 'node:fs';",
    '',
    '/** A shape with an area. */',
    'export interface Shape {',
    '  area(): number;',
    '}',
    '',
    '/**',
    ' * A circle.',
    ' */',
    'export class Circle implements Shape {',
    '  private readonly r: number;',
    '',
    '  constructor(r: number) {',
    "    if (r < 0) throw new Error('negative');",
    '    this.r = r;',
    "    console.log('made');",
    '  }',
    '',
    '  /** The area. */',
    '  area(): number {',
    '    return Math.PI * this.r * this.r;',
    '  }',
    '',
    '  @memo()',
    '  describe(): string {',
    '    const a = this.area();',
    "    const s = 'circle ' + a;",
    '    return s;',
    '  }',
    '}',
    '',
    'export function load(path: string): Shape[] {',
    "  const text = readFileSync(path, 'utf8');",
    "  const rows = text.split('\\n');",
    '  // parses one row',
    '  function parse(row: string): Shape {',
    '    const r = Number(row);',
    '    const c = new Circle(r);',
    '    return c;',
    '  }',
    '  return rows.map(parse);',
    '}',
    '',
    'export const handler = async (event: { id: string }): Promise<void> => {',
    '  const id = event.id;',
    '  await fetch(id);',
    '  console.log(id);',
    '};',
    '',
    'export const DEFAULTS = {',
    '  radius: 1,',
    "  color: 'red',",
    '  border: 2,',
    '  shadow: false,',
    '};',
  );
  assert.equal(signatures('typescript', source), lines(
    "import { readFileSync } from 'node:fs';",
    '',
    '/** A shape with an area. */',
    'export interface Shape {',
    '  area(): number;',
    '}',
    '',
    '/**',
    ' * A circle.',
    ' */',
    'export class Circle implements Shape {',
    '  private readonly r: number;',
    '',
    '  constructor(r: number) {',
    '⋮ lines 15–17',
    '  }',
    '',
    '  /** The area. */',
    '  area(): number {',
    '    return Math.PI * this.r * this.r;',
    '  }',
    '',
    '  @memo()',
    '  describe(): string {',
    '⋮ lines 27–29',
    '  }',
    '}',
    '',
    'export function load(path: string): Shape[] {',
    "  const text = readFileSync(path, 'utf8');",
    "  const rows = text.split('\\n');",
    '  // parses one row',
    '  function parse(row: string): Shape {',
    '⋮ lines 38–40',
    '  }',
    '  return rows.map(parse);',
    '}',
    '',
    'export const handler = async (event: { id: string }): Promise<void> => {',
    '⋮ lines 46–48',
    '};',
    '',
    'export const DEFAULTS = {',
    '⋮ lines 52–55',
    '};',
  ));
});

test('JavaScript: prototype methods and object members are declarations; TSX/JSX parse', () => {
  const source = lines(
    "'use strict';",
    "const path = require('path');",
    '',
    '/** Makes a router. */',
    'function Router(options) {',
    '  this.options = options;',
    '  this.stack = [];',
    '  this.params = {};',
    '}',
    '',
    'Router.prototype.use = function use(fn) {',
    '  this.stack.push(fn);',
    '  this.sort();',
    '  return this;',
    '};',
    '',
    'class Layer {',
    '  constructor(fn) {',
    '    this.fn = fn;',
    '    this.name = fn.name;',
    '    this.keys = [];',
    '  }',
    '',
    '  handle(req, res, next) {',
    '    try {',
    '      this.fn(req, res, next);',
    '    } catch (err) {',
    '      next(err);',
    '    }',
    '  }',
    '}',
    '',
    'module.exports = {',
    '  Router,',
    '  Layer,',
    '  createLayer(fn) {',
    '    const layer = new Layer(fn);',
    '    layer.created = Date.now();',
    '    return layer;',
    '  },',
    '  version: 1,',
    '};',
  );
  assert.equal(signatures('javascript', source), lines(
    "'use strict';",
    "const path = require('path');",
    '',
    '/** Makes a router. */',
    'function Router(options) {',
    '⋮ lines 6–8',
    '}',
    '',
    'Router.prototype.use = function use(fn) {',
    '⋮ lines 12–14',
    '};',
    '',
    'class Layer {',
    '  constructor(fn) {',
    '⋮ lines 19–21',
    '  }',
    '',
    '  handle(req, res, next) {',
    '⋮ lines 25–29',
    '  }',
    '}',
    '',
    'module.exports = {',
    '  Router,',
    '  Layer,',
    '  createLayer(fn) {',
    '⋮ lines 37–39',
    '  },',
    '  version: 1,',
    '};',
  ));
  // JSX, in .jsx files (javascript) and in .tsx files (typescript, which has no file name here)
  const component = lines(
    'export function App({ items }: { items: string[] }) {',
    '  const [open, setOpen] = useState(false);',
    '  return (',
    '    <ul onClick={() => setOpen(!open)}>',
    '      {items.map((item) => <li key={item}>{item}</li>)}',
    '    </ul>',
    '  );',
    '}',
  );
  assert.deepEqual(signatureElisions('typescript', component), [{ start: 2, end: 7 }]);
  assert.deepEqual(signatureElisions('javascript', component.replace(': { items: string[] }', '')), [{ start: 2, end: 7 }]);
});

test('Python: class and def lines and docstrings stay, the rest of each body goes', () => {
  const source = lines(
    '"""Shapes."""',
    'import math',
    '',
    '',
    'class Circle:',
    '    """A circle."""',
    '',
    '    sides = 0',
    '',
    '    def __init__(self, r):',
    '        self.r = r',
    '        self.d = 2 * r',
    '        self.c = math.pi * self.d',
    '',
    '    @property',
    '    def area(self):',
    '        """The area."""',
    '        return math.pi * self.r ** 2',
    '',
    '',
    'def load(path):',
    '    """Loads circles,',
    '    one per line."""',
    '    with open(path) as f:',
    '        rows = f.read().splitlines()',
    '',
    '    # parses one row',
    '    def parse(row):',
    '        r = float(row)',
    '        c = Circle(r)',
    '        return c',
    '',
    '    return [parse(row) for row in rows]',
  );
  assert.equal(signatures('python', source), lines(
    '"""Shapes."""',
    'import math',
    '',
    '',
    'class Circle:',
    '    """A circle."""',
    '',
    '    sides = 0',
    '',
    '    def __init__(self, r):',
    '⋮ lines 11–13',
    '',
    '    @property',
    '    def area(self):',
    '        """The area."""',
    '        return math.pi * self.r ** 2',
    '',
    '',
    'def load(path):',
    '    """Loads circles,',
    '    one per line."""',
    '⋮ lines 24–26',
    '    # parses one row',
    '    def parse(row):',
    '⋮ lines 29–33',
  ));
});

test('Go: type and func signatures stay, bodies (closures included) go; a licence header goes', () => {
  const source = lines(
    '// Copyright 2023 The Shapes Authors. All rights reserved.',
    '// Use of this source code is governed by a BSD-style',
    '// license that can be found in the LICENSE file.',
    '',
    '// Package shapes draws shapes.',
    'package shapes',
    '',
    'import (',
    '\t"fmt"',
    '\t"math"',
    ')',
    '',
    '// Circle is round.',
    'type Circle struct {',
    '\tR float64',
    '}',
    '',
    '// Area is the area.',
    'func (c Circle) Area() float64 {',
    '\ta := math.Pi * c.R * c.R',
    '\tfmt.Println(a)',
    '\treturn a',
    '}',
    '',
    'func Load(rows []string) []Circle {',
    '\tvar out []Circle',
    '\tparse := func(row string) Circle {',
    '\t\tvar r float64',
    '\t\tfmt.Sscan(row, &r)',
    '\t\treturn Circle{R: r}',
    '\t}',
    '\tfor _, row := range rows {',
    '\t\tout = append(out, parse(row))',
    '\t}',
    '\treturn out',
    '}',
  );
  assert.equal(signatures('go', source), lines(
    '⋮ lines 1–3',
    '',
    '// Package shapes draws shapes.',
    'package shapes',
    '',
    'import (',
    '\t"fmt"',
    '\t"math"',
    ')',
    '',
    '// Circle is round.',
    'type Circle struct {',
    '\tR float64',
    '}',
    '',
    '// Area is the area.',
    'func (c Circle) Area() float64 {',
    '⋮ lines 20–22',
    '}',
    '',
    'func Load(rows []string) []Circle {',
    '⋮ lines 26–35',
    '}',
  ));
});

test('Rust: items, impl headers, attributes and doc comments stay; fn bodies go, nested fn keeps its header', () => {
  const source = lines(
    'use std::fmt;',
    '',
    '/// A circle.',
    '#[derive(Debug)]',
    'pub struct Circle {',
    '    pub r: f64,',
    '}',
    '',
    'impl Circle {',
    '    /// The area.',
    '    pub fn area(&self) -> f64 {',
    '        let r = self.r;',
    '        let a = std::f64::consts::PI * r * r;',
    '        a',
    '    }',
    '}',
    '',
    'impl fmt::Display for Circle {',
    '    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {',
    '        write!(f, "circle")?;',
    '        write!(f, " {}", self.r)?;',
    '        Ok(())',
    '    }',
    '}',
    '',
    'pub fn load(rows: &[&str]) -> Vec<Circle> {',
    '    fn parse(row: &str) -> Circle {',
    '        let r = row.parse().unwrap();',
    '        let c = Circle { r };',
    '        c',
    '    }',
    '    rows.iter().map(|row| parse(row)).collect()',
    '}',
  );
  assert.equal(signatures('rust', source), lines(
    'use std::fmt;',
    '',
    '/// A circle.',
    '#[derive(Debug)]',
    'pub struct Circle {',
    '    pub r: f64,',
    '}',
    '',
    'impl Circle {',
    '    /// The area.',
    '    pub fn area(&self) -> f64 {',
    '⋮ lines 12–14',
    '    }',
    '}',
    '',
    'impl fmt::Display for Circle {',
    '    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {',
    '⋮ lines 20–22',
    '    }',
    '}',
    '',
    'pub fn load(rows: &[&str]) -> Vec<Circle> {',
    '    fn parse(row: &str) -> Circle {',
    '⋮ lines 28–30',
    '    }',
    '    rows.iter().map(|row| parse(row)).collect()',
    '}',
  ));
});

test('Java: members, annotations and javadoc stay; method and constructor bodies go; local classes keep their shape', () => {
  const source = lines(
    'package shapes;',
    '',
    'import java.util.List;',
    '',
    '/** A circle. */',
    'public class Circle implements Shape {',
    '    private final double r;',
    '',
    '    public Circle(double r) {',
    '        this.r = r;',
    '        check();',
    '        log();',
    '    }',
    '',
    '    /** The area. */',
    '    @Override',
    '    public double area() {',
    '        double a = Math.PI * r * r;',
    '        log();',
    '        return a;',
    '    }',
    '',
    '    static List<Circle> load(List<String> rows) {',
    '        class Parser {',
    '            Circle parse(String row) {',
    '                double r = Double.parseDouble(row);',
    '                Circle c = new Circle(r);',
    '                return c;',
    '            }',
    '        }',
    '        Parser p = new Parser();',
    '        return rows.stream().map(p::parse).toList();',
    '    }',
    '}',
  );
  assert.equal(signatures('java', source), lines(
    'package shapes;',
    '',
    'import java.util.List;',
    '',
    '/** A circle. */',
    'public class Circle implements Shape {',
    '    private final double r;',
    '',
    '    public Circle(double r) {',
    '⋮ lines 10–12',
    '    }',
    '',
    '    /** The area. */',
    '    @Override',
    '    public double area() {',
    '⋮ lines 18–20',
    '    }',
    '',
    '    static List<Circle> load(List<String> rows) {',
    '        class Parser {',
    '            Circle parse(String row) {',
    '⋮ lines 26–28',
    '            }',
    '        }',
    '        Parser p = new Parser();',
    '        return rows.stream().map(p::parse).toList();',
    '    }',
    '}',
  ));
});

test('C: structs, prototypes and function headers stay; bodies and long macro bodies go', () => {
  const source = lines(
    '#include <math.h>',
    '#include "shapes.h"',
    '',
    '/* A circle. */',
    'struct circle {',
    '    double r;',
    '};',
    '',
    'double circle_area(const struct circle *c);',
    '',
    '#define AREA(c) do { \\',
    '    double a = (c).r; /* radius */ \\',
    '    a = a * a; \\',
    '    out = a; \\',
    '} while (0)',
    '',
    '/* The area of a circle. */',
    'double circle_area(const struct circle *c)',
    '{',
    '    double r = c->r;',
    '    double a = M_PI * r * r;',
    '    return a;',
    '}',
    '',
    'static int count(const char *s) {',
    '    int n = 0;',
    '    while (*s) {',
    "        if (*s++ == '\\n') n++;",
    '    }',
    '    return n;',
    '}',
  );
  assert.equal(signatures('c', source), lines(
    '#include <math.h>',
    '#include "shapes.h"',
    '',
    '/* A circle. */',
    'struct circle {',
    '    double r;',
    '};',
    '',
    'double circle_area(const struct circle *c);',
    '',
    '#define AREA(c) do { \\',
    '⋮ lines 12–14',
    '} while (0)',
    '',
    '/* The area of a circle. */',
    'double circle_area(const struct circle *c)',
    '{',
    '⋮ lines 20–22',
    '}',
    '',
    'static int count(const char *s) {',
    '⋮ lines 26–30',
    '}',
  ));
});

test('C++: namespaces and classes stay with member declarations; method bodies and lambdas go', () => {
  const source = lines(
    '#include <vector>',
    '',
    'namespace shapes {',
    '',
    '// A circle.',
    'class Circle : public Shape {',
    ' public:',
    '  explicit Circle(double r) : r_(r) {}',
    '',
    '  // The area.',
    '  double Area() const override {',
    '    double a = kPi * r_ * r_;',
    '    Log(a);',
    '    return a;',
    '  }',
    '',
    ' private:',
    '  double r_;',
    '};',
    '',
    'std::vector<Circle> Load(const std::vector<std::string>& rows) {',
    '  std::vector<Circle> out;',
    '  auto parse = [](const std::string& row) {',
    '    double r = std::stod(row);',
    '    Log(r);',
    '    return Circle(r);',
    '  };',
    '  for (const auto& row : rows) out.push_back(parse(row));',
    '  return out;',
    '}',
    '',
    '}  // namespace shapes',
  );
  assert.equal(signatures('cpp', source), lines(
    '#include <vector>',
    '',
    'namespace shapes {',
    '',
    '// A circle.',
    'class Circle : public Shape {',
    ' public:',
    '  explicit Circle(double r) : r_(r) {}',
    '',
    '  // The area.',
    '  double Area() const override {',
    '⋮ lines 12–14',
    '  }',
    '',
    ' private:',
    '  double r_;',
    '};',
    '',
    'std::vector<Circle> Load(const std::vector<std::string>& rows) {',
    '⋮ lines 22–29',
    '}',
    '',
    '}  // namespace shapes',
  ));
});

test('long declaration-level initialisers go like bodies; short ones and local ones follow their body', () => {
  const cases: [string, string, Elision[]][] = [
    ['python', 'X = {\n    "a": 1,\n    "b": 2,\n    "c": 3,\n}\nY = [1, 2]\n\nclass A:\n    L = [\n        1,\n        2,\n        3,\n    ]\n\nsetup(\n    name="x",\n    version="1",\n    url="u",\n)\n',
      [{ start: 2, end: 4 }, { start: 10, end: 12 }, { start: 16, end: 18 }]],
    ['go', 'package x\n\nvar table = map[string]int{\n\t"a": 1,\n\t"b": 2,\n\t"c": 3,\n}\n\nconst s = `\na\nb\nc\n`\n',
      [{ start: 4, end: 6 }, { start: 10, end: 12 }]],
    ['rust', 'const T: [u8; 3] = [\n    1,\n    2,\n    3,\n];\nstatic S: &[&str] = &["a", "b"];\n', [{ start: 2, end: 4 }]],
    ['java', 'class A {\n    static final List<Integer> L = List.of(\n        1,\n        2,\n        3,\n        4);\n    int[] a = {1, 2};\n}\n', [{ start: 3, end: 5 }]],
    ['c', 'static const int table[] = {\n    1,\n    2,\n    3,\n};\n#ifdef X\nconst char *names[] = {\n    "a",\n    "b",\n    "c",\n};\n#endif\n',
      [{ start: 2, end: 4 }, { start: 8, end: 10 }]],
    ['cpp', 'namespace n {\nstruct S {\n  std::vector<int> v = {\n    1,\n    2,\n    3,\n  };\n};\n}\n', [{ start: 4, end: 6 }]],
    ['typescript', 'export default {\n  name: "x",\n  data() {\n    return 1;\n  },\n  props: ["a"],\n};\ndefineType("X", {\n  a: 1,\n  b: 2,\n  c: 3,\n});\n',
      [{ start: 9, end: 11 }]],
  ];
  for (const [language, text, expected] of cases) assert.deepEqual(signatureElisions(language, text), expected, language);
});

test('unsupported languages, tiny, broken, minified, deep, huge, CRLF and lone-CR texts never throw', () => {
  const body = 'function f() {\n  a();\n  b();\n  c();\n}\n';
  for (const language of ['text', 'markdown', 'kotlin', 'toString', '__proto__', 'constructor', '']) assert.equal(signatureElisions(language, body), undefined, language);
  for (const language of ['typescript', 'javascript', 'python', 'go', 'rust', 'java', 'c', 'cpp']) {
    for (const text of ['', '\n', 'x', '\n\n\n\n\n\n\n', '{{{{{{\n((((\n"""\n/*\n', '}\n}\n}\n}\n}\n}\n']) {
      const elisions = signatureElisions(language, text);
      if (elisions) assertWellFormed(elisions, text.split('\n').length, language);
    }
    const garbage = Array.from({ length: 300 }, (_, i) => String.fromCharCode(...Array.from({ length: 50 }, (_, j) => 33 + ((i * 7 + j * 13) % 90)))).join('\n');
    const elisions = signatureElisions(language, garbage);
    if (elisions) assertWellFormed(elisions, 300, `${language} garbage`);
  }
  // minified: one line, nothing to elide by lines
  const minified = Array.from({ length: 20_000 }, (_, i) => `function f${i}(a){return a+${i}}`).join(';');
  assert.deepEqual(signatureElisions('javascript', minified), []);
  // huge: 1.5 MB of small functions, every body goes
  const huge = Array.from({ length: 20_000 }, (_, i) => `function f${i}(a, b) {\n  const c = a + b;\n  const d = c * ${i};\n  return d;\n}\n`).join('');
  const hugeElisions = signatureElisions('javascript', huge);
  assert.equal(hugeElisions?.length, 20_000);
  assert.deepEqual(hugeElisions?.at(-1), { start: 99_997, end: 99_999 });
  // deeply nested expressions
  assert.deepEqual(signatureElisions('javascript', `const x = ${'('.repeat(20_000)}1${')'.repeat(20_000)};\n${body}`), [{ start: 3, end: 5 }]);
  assert.deepEqual(signatureElisions('python', `x = ${'['.repeat(20_000)}${']'.repeat(20_000)}\ndef f():\n    a\n    b\n    c\n`), [{ start: 3, end: 5 }]);
  // an unterminated body: what it swallowed is not elided
  const unterminated = 'function f() {\n  a();\n  b();\n  c();\n\nfunction g() {\n  a();\n  b();\n  c();\n}\n';
  const kept = applyElisions(unterminated, signatureElisions('javascript', unterminated) ?? []);
  assert.match(kept, /^function g\(\) \{$/m);
  // CRLF keeps its lines; a lone CR does not end a line
  assert.deepEqual(signatureElisions('javascript', body.replace(/\n/g, '\r\n') + body.replace(/\n/g, '\r\n')), [{ start: 2, end: 4 }, { start: 7, end: 9 }]);
  assert.deepEqual(signatureElisions('javascript', 'function f() {\r  a();\r  b();\r}\rfunction g() {\n  a();\n  b();\n  c();\n}\n'), [{ start: 2, end: 4 }]);
});

test('applyElisions: one marker per range, kept lines untouched, trailing newline kept', () => {
  const text = 'a\nb\nc\nd\ne\nf\n';
  assert.equal(applyElisions(text, []), text);
  assert.equal(applyElisions(text, [{ start: 2, end: 3 }, { start: 5, end: 6 }]), 'a\n⋮ lines 2–3\nd\n⋮ lines 5–6\n');
  assert.equal(applyElisions('a\nb\nc', [{ start: 1, end: 3 }]), '⋮ lines 1–3');
});

// ---------------------------------------------------------------------------------------------------------
// Real repositories

type Family = 'js' | 'python' | 'go' | 'rust' | 'java' | 'c';

interface CorpusLanguage {
  language: string;
  family: Family;
  files: () => string[];
  /** Lines where a function, class, def or type declaration starts. */
  declarations: RegExp[];
}

const TS_DECLARATION = /^\s*(export\s+)?(default\s+)?(declare\s+)?(abstract\s+)?(async\s+)?(function\*?|class|interface|enum)\s+[\w$]/;
const C_FUNCTION = /^((static|inline|extern|const|unsigned|signed|struct|enum|union)\s+)*[A-Za-z_]\w*[\s*]+[A-Za-z_]\w*\s*\([^;]*$/;

const CORPORA: CorpusLanguage[] = [
  {
    language: 'typescript', family: 'js',
    files: () => walk(corpusDir('node-babel7')).filter((f) => /\/packages\/[^/]+\/src\/.*\.tsx?$/.test(f) && !f.endsWith('.d.ts')),
    declarations: [TS_DECLARATION, /^\s*(export\s+)?(declare\s+)?type\s+\w+(<[^=]*>)?\s*=/],
  },
  {
    language: 'javascript', family: 'js',
    files: () => [corpusDir('node-express'), corpusDir('node-babel7'), corpusDir('python-django')].flatMap((dir) => walk(dir))
      .filter((f) => /\.(js|mjs|cjs|jsx)$/.test(f) && !/\/(fixtures|lib|dist)\//.test(f)),
    declarations: [/^\s*(export\s+)?(default\s+)?(async\s+)?(function\*?|class)\s+[\w$]/],
  },
  {
    language: 'python', family: 'python',
    files: () => walk(corpusDir('python-django')).filter((f) => f.endsWith('.py')),
    declarations: [/^\s*(async\s+)?(def|class)\s+\w/],
  },
  {
    language: 'go', family: 'go',
    files: () => walk(corpusDir('hugo')).filter((f) => f.endsWith('.go')),
    declarations: [/^(func|type)\s/],
  },
  {
    language: 'rust', family: 'rust',
    files: () => [corpusDir('rust-ripgrep'), corpusDir('cargo')].flatMap((dir) => walk(dir)).filter((f) => f.endsWith('.rs')),
    declarations: [/^\s*(pub(\([^)]*\))?\s+)?((const|async|unsafe|default|extern(\s+"[^"]*")?)\s+)*(fn|struct|enum|trait|union)\s+\w/, /^\s*(unsafe\s+)?impl\b/],
  },
  {
    language: 'java', family: 'java',
    files: () => walk(corpusDir('commons-io')).filter((f) => f.endsWith('.java')),
    declarations: [/^\s*((public|protected|private|static|final|abstract|sealed|strictfp)\s+)*(class|interface|enum|record|@interface)\s+\w/, /^\s*(public|protected|private)\s[^=;]*\(/],
  },
  {
    language: 'c', family: 'c',
    files: () => walk(corpusDir('redis')).filter((f) => /\.[ch]$/.test(f)),
    declarations: [C_FUNCTION, /^(typedef\s+)?(struct|union|enum)\s+\w*\s*\{/],
  },
  {
    language: 'cpp', family: 'c',
    files: () => walk(corpusDir('abseil')).filter((f) => /\.(cc|h)$/.test(f)),
    declarations: [/^\s*(template\s*<.*>\s*)?(class|struct)\s+(ABSL_\w+\s+)?\w+[^;]*$/, /^((static|inline|constexpr|extern|const|unsigned)\s+)*[A-Za-z_][\w:<>,]*[\s*&]+[A-Za-z_~][\w:]*\s*\([^;]*$/],
  },
];

const SAMPLE = 240;
const MIN_BYTES = 1024;
const MAX_BYTES = 1 << 20;

for (const corpus of CORPORA) {
  test(`${corpus.language} on real files: well-formed, every declaration start kept, much smaller`, () => {
    const sample = sampleOf(corpus.files());
    assert.ok(sample.length >= 200, `${corpus.language}: only ${sample.length} files`);
    let failed = 0;
    let keptLines = 0;
    let keptBytes = 0;
    let totalBytes = 0;
    let elidedTotal = 0;
    const misses: string[] = [];
    for (const file of sample) {
      const text = readFileSync(file, 'utf8');
      const elisions = signatureElisions(corpus.language, text);
      if (!elisions) {
        failed++;
        continue;
      }
      const rows = text.split('\n');
      assertWellFormed(elisions, rows.length, file);
      const elided = new Uint8Array(rows.length + 1);
      for (const { start, end } of elisions) elided.fill(1, start, end + 1);
      const code = codeLines(text, corpus.family);
      rows.forEach((row, i) => {
        if (code[i] && elided[i + 1] && corpus.declarations.some((re) => re.test(row))) misses.push(`${file}:${i + 1}: ${row.trim()}`);
      });
      const kept = applyElisions(text, elisions);
      keptLines += kept.split('\n').length / rows.length;
      keptBytes += Buffer.byteLength(kept) / Buffer.byteLength(text);
      totalBytes += Buffer.byteLength(text);
      elidedTotal += Buffer.byteLength(text) - Buffer.byteLength(kept);
    }
    const parsed = sample.length - failed;
    const report = {
      language: corpus.language, files: sample.length, unparsed: failed,
      meanKeptLines: round(keptLines / parsed), meanKeptBytes: round(keptBytes / parsed), keptBytesOverall: round(1 - elidedTotal / totalBytes),
    };
    console.log(JSON.stringify(report));
    assert.ok(failed <= sample.length * 0.01, `${corpus.language}: ${failed} files not parsed`);
    assert.deepEqual(misses.slice(0, 20), [], `${corpus.language}: ${misses.length} declaration lines elided`);
    assert.ok(report.meanKeptBytes < 0.7, `${corpus.language}: kept ${report.meanKeptBytes} of the bytes on average`);
  });
}

test('speed on babel packages/*/src TypeScript', () => {
  const files = walk(corpusDir('node-babel7')).filter((f) => /\/packages\/[^/]+\/src\/.*\.ts$/.test(f));
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  for (const text of texts.slice(0, 20)) signatureElisions('typescript', text); // warm the wasm up
  const started = performance.now();
  for (const text of texts) signatureElisions('typescript', text);
  const seconds = (performance.now() - started) / 1000;
  const megabytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / 1e6;
  console.log(JSON.stringify({ speed: 'signatureElisions', files: texts.length, megabytes: round(megabytes), seconds: round(seconds), megabytesPerSecond: round(megabytes / seconds) }));
});

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Up to SAMPLE files of 1 KB to 1 MB, evenly spread over the sorted list. */
function sampleOf(files: string[]): string[] {
  const sized = files.filter((f) => {
    const size = statSync(f).size;
    return size >= MIN_BYTES && size <= MAX_BYTES;
  }).sort();
  const n = Math.min(SAMPLE, sized.length);
  return Array.from({ length: n }, (_, i) => sized[Math.floor((i * sized.length) / n)]!);
}

/**
 * For each line, whether it starts in code: not inside a string, a comment, a template literal or
 * (C) a macro continuation. A small lexer of its own, so the check does not lean on tree-sitter.
 */
function codeLines(text: string, family: Family): boolean[] {
  const code: boolean[] = [true];
  const n = text.length;
  const templates: number[] = []; // JS: brace depth at each open `${`
  let braces = 0;
  let inTemplate = false;
  let last = ''; // last significant character in code, for JS regex literals
  const skipTo = (from: number, to: number): number => {
    for (let j = from; j < Math.min(to, n); j++) if (text[j] === '\n') code.push(false);
    return Math.min(to, n);
  };
  const closing = (from: number, quote: string, multiline: boolean): number => {
    for (let j = from; j < n; j++) {
      if (text[j] === '\\') j++;
      else if (text[j] === quote) return j + 1;
      else if (text[j] === '\n' && !multiline) return j;
    }
    return n;
  };
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (inTemplate) {
      if (c === '\\') i = skipTo(i, i + 2);
      else if (c === '`') { inTemplate = false; i++; last = '`'; }
      else if (c === '$' && next === '{') { templates.push(braces); inTemplate = false; i += 2; last = '{'; }
      else i = skipTo(i, i + 1);
      continue;
    }
    if (c === '\n') {
      code.push(!(family === 'c' && /\\\r?$/.test(text.slice(Math.max(0, i - 2), i))));
      i++;
      continue;
    }
    const rest = (length: number): string => text.slice(i, i + length);
    if ((family !== 'python' && c === '/' && next === '/') || (family === 'python' && c === '#')) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? n : end;
      continue;
    }
    if (family !== 'python' && c === '/' && next === '*') {
      if (family === 'rust') {
        let depth = 0;
        let j = i;
        for (; j < n; j++) {
          if (text.startsWith('/*', j)) { depth++; j++; }
          else if (text.startsWith('*/', j)) { depth--; j++; if (depth === 0) break; }
        }
        i = skipTo(i, j + 1);
      } else {
        const end = text.indexOf('*/', i + 2);
        i = skipTo(i, end === -1 ? n : end + 2);
      }
      continue;
    }
    if (family === 'python' && (rest(3) === '"""' || rest(3) === "'''")) {
      const end = text.indexOf(rest(3), i + 3);
      i = skipTo(i, end === -1 ? n : end + 3);
      continue;
    }
    if (family === 'java' && rest(3) === '"""') {
      const end = text.indexOf('"""', i + 3);
      i = skipTo(i, end === -1 ? n : end + 3);
      continue;
    }
    if (family === 'rust') {
      const raw = /(?<![\w])b?r(#*)"/y;
      raw.lastIndex = i;
      const m = raw.exec(text);
      if (m) {
        const end = text.indexOf(`"${m[1]}`, i + m[0].length);
        i = skipTo(i, end === -1 ? n : end + 1 + m[1]!.length);
        continue;
      }
    }
    if (family === 'c' && c === 'R' && next === '"' && !/\w/.test(text[i - 1] ?? '')) {
      const open = text.indexOf('(', i);
      const delimiter = text.slice(i + 2, open);
      const end = text.indexOf(`)${delimiter}"`, open);
      i = skipTo(i, end === -1 ? n : end + delimiter.length + 2);
      continue;
    }
    if (c === "'" && family !== 'js' && family !== 'python') {
      const char = /'(\\.[^'\n]*|[^\\'\n])'/y; // a char literal; otherwise (Rust) a lifetime
      char.lastIndex = i;
      const m = char.exec(text);
      i += m ? m[0].length : 1;
      continue;
    }
    if (c === '"' || (c === "'" && (family === 'js' || family === 'python'))) {
      i = skipTo(i, closing(i + 1, c, family === 'rust'));
      last = c;
      continue;
    }
    if (c === '`' && family === 'js') { inTemplate = true; i++; continue; }
    if (c === '`' && family === 'go') {
      const end = text.indexOf('`', i + 1);
      i = skipTo(i, end === -1 ? n : end + 1);
      continue;
    }
    if (family === 'js') {
      if (c === '/' && (last === '' || '(,=:[!&|?{};+-*%<>~^'.includes(last) || /\b(return|typeof|case|do|else|in|of)\s*$/.test(text.slice(Math.max(0, i - 12), i)))) {
        let j = i + 1;
        let inClass = false;
        for (; j < n && text[j] !== '\n'; j++) {
          if (text[j] === '\\') j++;
          else if (text[j] === '[') inClass = true;
          else if (text[j] === ']') inClass = false;
          else if (text[j] === '/' && !inClass) break;
        }
        i = j + 1;
        last = '/';
        continue;
      }
      if (c === '{') braces++;
      else if (c === '}') {
        if (templates.length > 0 && templates[templates.length - 1] === braces) {
          templates.pop();
          inTemplate = true;
          i++;
          continue;
        }
        braces--;
      }
    }
    if (!/\s/.test(c)) last = c;
    i++;
  }
  return code;
}
