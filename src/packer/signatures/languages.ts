import type { LanguageId } from '../types.js';

/*
 * Per-language knowledge of the signatures level, as data: one tree-sitter query per grammar.
 * Each pattern names what its node is by its capture:
 *
 *   @fn        a declaration with a body (function, method, constructor, named function
 *              expression, `const f = () => {}`, `A.prototype.f = function () {}`): its header
 *              is kept wherever it is, its body's inner lines go (`@body` is the body)
 *   @member    a function-valued member (`{ f() {} }`, `a.b = function () {}`): a declaration at
 *              declaration level, a mere `@lambda` inside a function body
 *   @lambda    an anonymous function (arrow, closure, lambda, func literal): its body's inner lines
 *              go, and nothing of it is forced to stay
 *   @container a declaration kept whole (class, interface, struct, enum, impl, namespace, type);
 *              the bodies inside it still go
 *   @init      the initialiser of a declaration-level constant or field, or a top-level call
 *              (`defineType("X", {…})`, `setup(…)`): its inner lines go when it is long (a table,
 *              a config object), like a body
 *   @attach    comments, decorators and attributes: whole lines of them directly above a kept
 *              declaration are kept with it
 *
 * Every other capture name (`@lhs`) only serves predicates.
 */

export type GrammarId = 'javascript' | 'typescript' | 'tsx' | 'python' | 'go' | 'rust' | 'java' | 'c' | 'cpp';

export interface GrammarSpec {
  pkg: string;
  file: string;
  query: string;
}

const FUNCTION_VALUE = '[(arrow_function body: (_) @body) (function_expression body: (_) @body) (generator_function body: (_) @body)]';

const JAVASCRIPT_COMMON = `
(function_declaration body: (_) @body) @fn
(generator_function_declaration body: (_) @body) @fn
(class_body (method_definition body: (_) @body) @fn)
(class_static_block body: (_) @body) @fn
(variable_declarator value: ${FUNCTION_VALUE}) @fn
(object (method_definition body: (_) @body) @member)
(pair value: ${FUNCTION_VALUE}) @member
((assignment_expression left: (member_expression) @lhs right: ${FUNCTION_VALUE}) @fn
  (#match? @lhs "(^|\\\\.)(prototype|exports)(\\\\.|$)"))
((assignment_expression left: (member_expression) @lhs right: ${FUNCTION_VALUE}) @member
  (#not-match? @lhs "(^|\\\\.)(prototype|exports)(\\\\.|$)"))
(function_expression name: (_) body: (_) @body) @fn
(generator_function name: (_) body: (_) @body) @fn
(arrow_function body: (_) @body) @lambda
(function_expression !name body: (_) @body) @lambda
(generator_function !name body: (_) @body) @lambda
[(class_declaration) (class)] @container
(program [(lexical_declaration (variable_declarator value: (_) @init)) (variable_declaration (variable_declarator value: (_) @init))])
(export_statement [(lexical_declaration (variable_declarator value: (_) @init)) (variable_declaration (variable_declarator value: (_) @init))])
(export_statement value: (_) @init)
(program (expression_statement [(assignment_expression right: (_) @init) (call_expression) @init]))
[(comment) (decorator)] @attach
`;

const TYPESCRIPT = `${JAVASCRIPT_COMMON}
[(abstract_class_declaration) (interface_declaration) (type_alias_declaration) (enum_declaration) (internal_module) (module)
 (function_signature)] @container
(public_field_definition value: (_) @init)
`;

const JAVASCRIPT = `${JAVASCRIPT_COMMON}
(field_definition value: (_) @init)
`;

const PYTHON = `
(function_definition body: (block) @body) @fn
(decorated_definition definition: (function_definition body: (block) @body)) @fn
(class_definition) @container
(decorated_definition definition: (class_definition)) @container
(module (expression_statement [(assignment right: (_) @init) (call) @init]))
(class_definition body: (block (expression_statement (assignment right: (_) @init))))
(comment) @attach
`;

const GO = `
(function_declaration body: (block) @body) @fn
(method_declaration body: (block) @body) @fn
(func_literal body: (block) @body) @lambda
(type_declaration) @container
(source_file (var_declaration [(var_spec value: (_) @init) (var_spec_list (var_spec value: (_) @init))]))
(source_file (const_declaration (const_spec value: (_) @init)))
(comment) @attach
`;

const RUST = `
(function_item body: (block) @body) @fn
(closure_expression body: (_) @body) @lambda
[(impl_item) (trait_item) (struct_item) (enum_item) (union_item) (mod_item) (foreign_mod_item) (macro_definition)] @container
(const_item value: (_) @init)
(static_item value: (_) @init)
[(line_comment) (block_comment) (attribute_item)] @attach
`;

const JAVA = `
(method_declaration body: (block) @body) @fn
(constructor_declaration body: (constructor_body) @body) @fn
(compact_constructor_declaration body: (block) @body) @fn
(static_initializer (block) @body) @fn
(class_body (block) @lambda @body)
(lambda_expression body: (_) @body) @lambda
[(class_declaration) (interface_declaration) (enum_declaration) (record_declaration) (annotation_type_declaration)] @container
(field_declaration declarator: (variable_declarator value: (_) @init))
(constant_declaration declarator: (variable_declarator value: (_) @init))
[(line_comment) (block_comment)] @attach
`;

/** C and C++; a function definition must declare a function (macros can make tree-sitter see one in `NS_BEGIN namespace x {…}`). */
const cFamily = (declarators: string): string => `
(function_definition declarator: [${declarators}] body: (compound_statement) @body) @fn
${['translation_unit', 'preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'declaration_list']
    .map((parent) => `(${parent} (declaration declarator: (init_declarator value: (_) @init)))`).join('\n')}
(preproc_function_def value: (preproc_arg) @init)
(preproc_def value: (preproc_arg) @init)
(comment) @attach
`;

const C = `${cFamily('(function_declarator) (pointer_declarator) (attributed_declarator) (parenthesized_declarator)')}
[(struct_specifier body: (_)) (union_specifier body: (_)) (enum_specifier body: (_))] @container
`;

const CPP = `${cFamily('(function_declarator) (pointer_declarator) (reference_declarator) (attributed_declarator) (parenthesized_declarator)')}
(lambda_expression body: (compound_statement) @body) @lambda
[(class_specifier body: (_)) (struct_specifier body: (_)) (union_specifier body: (_)) (enum_specifier body: (_))
 (namespace_definition) (linkage_specification) (concept_definition)] @container
(field_declaration default_value: (_) @init)
`;

export const GRAMMARS: Record<GrammarId, GrammarSpec> = {
  javascript: { pkg: 'tree-sitter-javascript', file: 'tree-sitter-javascript.wasm', query: JAVASCRIPT },
  typescript: { pkg: 'tree-sitter-typescript', file: 'tree-sitter-typescript.wasm', query: TYPESCRIPT },
  tsx: { pkg: 'tree-sitter-typescript', file: 'tree-sitter-tsx.wasm', query: TYPESCRIPT },
  python: { pkg: 'tree-sitter-python', file: 'tree-sitter-python.wasm', query: PYTHON },
  go: { pkg: 'tree-sitter-go', file: 'tree-sitter-go.wasm', query: GO },
  rust: { pkg: 'tree-sitter-rust', file: 'tree-sitter-rust.wasm', query: RUST },
  java: { pkg: 'tree-sitter-java', file: 'tree-sitter-java.wasm', query: JAVA },
  c: { pkg: 'tree-sitter-c', file: 'tree-sitter-c.wasm', query: C },
  cpp: { pkg: 'tree-sitter-cpp', file: 'tree-sitter-cpp.wasm', query: CPP },
};

export interface LanguageRules {
  /** Grammars to try in order; when one leaves syntax errors the next is tried and the cleanest parse wins. */
  grammars: readonly GrammarId[];
  /** Grammars to try first when the text looks like it holds JSX (`</` or `/>`). */
  jsxGrammars?: readonly GrammarId[];
  /** Bodies are indented blocks (Python): no closing line, and a leading docstring stays. */
  indented?: boolean;
  /** Node types never elided as an `@init` (functions and classes have rules of their own). */
  notInit: ReadonlySet<string>;
  /** Rewrites the text before parsing without moving any character (same length, same lines). */
  prepare?: (text: string) => string;
}

/**
 * tree-sitter-c ends a macro's value at a comment, so `#define M(x) do { \ /* … *\/ \ … } while (0)`
 * leaves the macro's later lines as top-level junk that swallows the functions after it. Block
 * comments inside continued `#define` lines become spaces (newlines stay) before parsing.
 */
export function blankMacroComments(text: string): string {
  if (!text.includes('\\\n') && !text.includes('\\\r\n')) return text;
  return text.replace(/^[ \t]*#[ \t]*define\b(?:[^\n]*\\\r?\n)+[^\n]*/gm, (macro) =>
    macro.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' ')));
}

const JS_NOT_INIT = new Set(['arrow_function', 'function_expression', 'generator_function', 'class']);

export const LANGUAGES: Record<LanguageId, LanguageRules> = {
  typescript: { grammars: ['typescript', 'tsx'], jsxGrammars: ['tsx', 'typescript'], notInit: JS_NOT_INIT },
  javascript: { grammars: ['javascript', 'tsx'], notInit: JS_NOT_INIT },
  python: { grammars: ['python'], indented: true, notInit: new Set(['lambda']) },
  go: { grammars: ['go'], notInit: new Set(['func_literal']) },
  rust: { grammars: ['rust'], notInit: new Set(['closure_expression']) },
  java: { grammars: ['java'], notInit: new Set(['lambda_expression']) },
  c: { grammars: ['c', 'cpp'], notInit: new Set(), prepare: blankMacroComments },
  cpp: { grammars: ['cpp'], notInit: new Set(['lambda_expression']), prepare: blankMacroComments },
};
