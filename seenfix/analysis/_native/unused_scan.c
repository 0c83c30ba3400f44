/* seenfix.analysis._unused_scan: SF009's check in C, with the Python analysis behind it.
 *
 * scan(src, tsx) parses a TypeScript/TSX file with its own copy of the tree-sitter runtime (the
 * grammars are tree-sitter-typescript's, handed over once by init()) and answers either
 *
 *   a tuple of the unused import bindings (empty when every imported name is used), each with the
 *   offsets the Python side turns into an ImportBinding, exactly as the Python analysis
 *   (seenfix/analysis/unused_imports.py) finds them; or
 *   False: a syntax error (the Python side asks again without the syntax tree-sitter-typescript
 *   lacks, as its own parse does); or
 *   None: the Python analysis must decide: an import declaration of an unusual shape
 *   (`import x = require()`, a string as the local name), or more than MAX_BINDINGS names.
 *
 * Only `seenfix check` asks it; a fix (`apply`) always runs the Python analysis, which also writes
 * the new text and verifies it.  Tests hold its answers to the Python analysis's on real corpora.
 * The rules are the Python analysis's, one function here for each of its own:
 *
 *   - an occurrence of the name's bytes outside the import declarations, not inside a longer
 *     identifier, is looked up in the tree (the smallest node holding it, and its ancestors);
 *   - an identifier, type identifier or shorthand property that is exactly the occurrence refers to
 *     the name, unless its parent is one of the few that make it something else (a JSX intrinsic
 *     element, an export alias, a member of a namespace...) or a declaration of it (a variable, a
 *     parameter, a function, a class, a type parameter...), which is scoped to the nearest node that
 *     scopes such declarations;
 *   - an occurrence inside a comment refers to the name after @link, @see, @jsx and the like;
 *   - property names, strings, JSX text, regular expressions and other leaves that are never a
 *     reference are not references; any other named node holding exactly the name is one;
 *   - the name is used when one reference is not inside the scope of a declaration of the same
 *     meaning (value, type, namespace), or when a declaration cannot be scoped (left to tsc).
 *
 * Linear in the file for each imported name, as the Python analysis.  The parsers are global to the
 * process and used under the GIL (seenfix parallelises with processes).  LAYOUT numbers the shape of
 * scan()'s answer: the Python side uses the module only when it knows that number.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <tree_sitter/api.h>

/* -- node kinds, by symbol ------------------------------------------------------------------------ */
enum {
    K_IDENTIFIER = 1u << 0,
    K_TYPE_IDENTIFIER = 1u << 1,
    K_COMMENT = 1u << 2,
    K_NOT_REFERENCE = 1u << 3,       /* _NOT_REFERENCES */
    K_IDENTIFIER_PARENT = 1u << 4,   /* _IDENTIFIER_PARENTS */
    K_TYPE_IDENTIFIER_PARENT = 1u << 5, /* _TYPE_IDENTIFIER_PARENTS */
    K_JSX_ELEMENT = 1u << 6,         /* _JSX_ELEMENTS */
    K_PATTERN = 1u << 7,             /* _PATTERNS */
    K_PARAM = 1u << 8,               /* _PARAMS */
    K_IMPORT_STATEMENT = 1u << 9,
    K_FUNCTION_SCOPE = 1u << 10,     /* _FUNCTION_SCOPES */
    K_BLOCK_SCOPE = 1u << 11,        /* _BLOCK_SCOPES */
    K_BLOCK_DECL_VALUE = 1u << 12,   /* _BLOCK_DECL_VALUE */
    K_BLOCK_DECL_TYPE = 1u << 13,    /* _BLOCK_DECL_TYPE */
    K_CLASS_DECL = 1u << 14,         /* _CLASS_DECLS */
};

/* Each kind the scan tells apart: its name in the grammar, its flags and its id. */
typedef struct { const char *name; unsigned flags; int id; } Kind;
enum {
    ID_OTHER = 0, ID_JSX_NAMESPACE_NAME, ID_EXPORT_SPECIFIER, ID_NESTED_TYPE_IDENTIFIER, ID_TYPE_QUERY,
    ID_INDEX_SIGNATURE, ID_PAIR_PATTERN, ID_ASSIGNMENT_PATTERN, ID_OBJECT_ASSIGNMENT_PATTERN,
    ID_VARIABLE_DECLARATOR, ID_CATCH_CLAUSE, ID_FOR_IN_STATEMENT, ID_IMPORT_CLAUSE, ID_NAMESPACE_IMPORT,
    ID_NAMED_IMPORTS, ID_IMPORT_SPECIFIER, ID_IMPORT_REQUIRE_CLAUSE, ID_STRING, ID_TYPE, ID_COMMA,
    ID_SHORTHAND, ID_SHORTHAND_PATTERN, ID_FUNCTION_EXPRESSION, ID_ENUM_DECLARATION, ID_MODULE, ID_IMPORT_ALIAS,
    ID_ARROW_FUNCTION, ID_TYPE_PARAMETER, ID_CLASS, ID_INFER_TYPE, ID_MAPPED_TYPE_CLAUSE, ID_CONDITIONAL_TYPE,
    ID_VARIABLE_DECLARATION, ID_PROGRAM, ID_VAR,
};
#define FS (K_FUNCTION_SCOPE | K_BLOCK_SCOPE)
static const Kind KINDS[] = {
    {"identifier", K_IDENTIFIER, 0},
    {"type_identifier", K_TYPE_IDENTIFIER, 0},
    {"comment", K_COMMENT, 0},
    {"import_statement", K_IMPORT_STATEMENT, 0},
    {"shorthand_property_identifier", 0, ID_SHORTHAND},
    {"shorthand_property_identifier_pattern", 0, ID_SHORTHAND_PATTERN},
    /* _NOT_REFERENCES */
    {"property_identifier", K_NOT_REFERENCE, 0}, {"statement_identifier", K_NOT_REFERENCE, 0},
    {"private_property_identifier", K_NOT_REFERENCE, 0}, {"string_fragment", K_NOT_REFERENCE, 0},
    {"jsx_text", K_NOT_REFERENCE, 0}, {"regex_pattern", K_NOT_REFERENCE, 0},
    {"regex_flags", K_NOT_REFERENCE, 0}, {"escape_sequence", K_NOT_REFERENCE, 0},
    {"html_character_reference", K_NOT_REFERENCE, 0}, {"predefined_type", K_NOT_REFERENCE, 0},
    {"number", K_NOT_REFERENCE, 0}, {"string", K_NOT_REFERENCE, ID_STRING},
    {"template_string", K_NOT_REFERENCE, 0}, {"hash_bang_line", K_NOT_REFERENCE, 0},
    {"jsx_identifier", K_NOT_REFERENCE, 0},
    /* _IDENTIFIER_PARENTS, with the scopes (_FUNCTION_SCOPES, _BLOCK_SCOPES) some of them are */
    {"object_pattern", K_PATTERN | K_IDENTIFIER_PARENT, 0},
    {"array_pattern", K_PATTERN | K_IDENTIFIER_PARENT, 0},
    {"rest_pattern", K_PATTERN | K_IDENTIFIER_PARENT, 0},
    {"jsx_opening_element", K_JSX_ELEMENT | K_IDENTIFIER_PARENT, 0},
    {"jsx_closing_element", K_JSX_ELEMENT | K_IDENTIFIER_PARENT, 0},
    {"jsx_self_closing_element", K_JSX_ELEMENT | K_IDENTIFIER_PARENT, 0},
    {"required_parameter", K_PARAM | K_IDENTIFIER_PARENT, 0},
    {"optional_parameter", K_PARAM | K_IDENTIFIER_PARENT, 0},
    {"function_declaration", K_BLOCK_DECL_VALUE | K_IDENTIFIER_PARENT | FS, 0},
    {"generator_function_declaration", K_BLOCK_DECL_VALUE | K_IDENTIFIER_PARENT | FS, 0},
    {"function_signature", K_BLOCK_DECL_VALUE | K_IDENTIFIER_PARENT | FS, 0},
    {"jsx_namespace_name", K_IDENTIFIER_PARENT, ID_JSX_NAMESPACE_NAME},
    {"export_specifier", K_IDENTIFIER_PARENT, ID_EXPORT_SPECIFIER},
    {"nested_type_identifier", K_IDENTIFIER_PARENT | K_TYPE_IDENTIFIER_PARENT, ID_NESTED_TYPE_IDENTIFIER},
    {"index_signature", K_IDENTIFIER_PARENT, ID_INDEX_SIGNATURE},
    {"function_expression", K_IDENTIFIER_PARENT | FS, ID_FUNCTION_EXPRESSION},
    {"generator_function", K_IDENTIFIER_PARENT | FS, ID_FUNCTION_EXPRESSION},
    {"enum_declaration", K_IDENTIFIER_PARENT, ID_ENUM_DECLARATION},
    {"internal_module", K_IDENTIFIER_PARENT | FS, ID_MODULE},
    {"module", K_IDENTIFIER_PARENT, ID_MODULE},
    {"import_alias", K_IDENTIFIER_PARENT, ID_IMPORT_ALIAS},
    {"arrow_function", K_IDENTIFIER_PARENT | FS, ID_ARROW_FUNCTION},
    {"type_query", K_IDENTIFIER_PARENT, ID_TYPE_QUERY},
    {"pair_pattern", K_IDENTIFIER_PARENT, ID_PAIR_PATTERN},
    {"assignment_pattern", K_IDENTIFIER_PARENT, ID_ASSIGNMENT_PATTERN},
    {"object_assignment_pattern", K_IDENTIFIER_PARENT, ID_OBJECT_ASSIGNMENT_PATTERN},
    {"variable_declarator", K_IDENTIFIER_PARENT, ID_VARIABLE_DECLARATOR},
    {"catch_clause", K_IDENTIFIER_PARENT, ID_CATCH_CLAUSE},
    {"for_in_statement", K_IDENTIFIER_PARENT | K_BLOCK_SCOPE, ID_FOR_IN_STATEMENT},
    /* _TYPE_IDENTIFIER_PARENTS (nested_type_identifier above) */
    {"type_alias_declaration", K_BLOCK_DECL_TYPE | K_TYPE_IDENTIFIER_PARENT, 0},
    {"interface_declaration", K_BLOCK_DECL_TYPE | K_TYPE_IDENTIFIER_PARENT, 0},
    {"class_declaration", K_CLASS_DECL | K_TYPE_IDENTIFIER_PARENT, 0},
    {"abstract_class_declaration", K_CLASS_DECL | K_TYPE_IDENTIFIER_PARENT, 0},
    {"type_parameter", K_TYPE_IDENTIFIER_PARENT, ID_TYPE_PARAMETER},
    {"class", K_TYPE_IDENTIFIER_PARENT, ID_CLASS},
    {"infer_type", K_TYPE_IDENTIFIER_PARENT, ID_INFER_TYPE},
    {"mapped_type_clause", K_TYPE_IDENTIFIER_PARENT, ID_MAPPED_TYPE_CLAUSE},
    /* the other scopes (_FUNCTION_SCOPES, _BLOCK_SCOPES) */
    {"method_definition", FS, 0}, {"method_signature", FS, 0}, {"abstract_method_signature", FS, 0},
    {"call_signature", FS, 0}, {"construct_signature", FS, 0}, {"function_type", FS, 0},
    {"constructor_type", FS, 0}, {"class_static_block", FS, 0}, {"program", FS, ID_PROGRAM},
    {"statement_block", K_BLOCK_SCOPE, 0}, {"switch_body", K_BLOCK_SCOPE, 0}, {"for_statement", K_BLOCK_SCOPE, 0},
    {"class_body", K_BLOCK_SCOPE, 0},
    /* what the rules look for around a declaration */
    {"conditional_type", 0, ID_CONDITIONAL_TYPE},
    {"variable_declaration", 0, ID_VARIABLE_DECLARATION},
    {"var", 0, ID_VAR},
    /* the import declarations' parts */
    {"import_clause", 0, ID_IMPORT_CLAUSE},
    {"namespace_import", 0, ID_NAMESPACE_IMPORT},
    {"named_imports", 0, ID_NAMED_IMPORTS},
    {"import_specifier", 0, ID_IMPORT_SPECIFIER},
    {"import_require_clause", 0, ID_IMPORT_REQUIRE_CLAUSE},
    {"type", 0, ID_TYPE},
    {",", 0, ID_COMMA},
};
#undef FS

/* One grammar: its language, a parser, and each symbol's flags and id (by its name, as node.type). */
typedef struct {
    const TSLanguage *language;
    TSParser *parser;
    uint32_t count;
    unsigned *flags;
    unsigned char *ids;
} Grammar;

static Grammar GRAMMARS[2];  /* [0] TypeScript, [1] TSX */

static unsigned flags_of(const Grammar *g, TSNode node) {
    TSSymbol s = ts_node_symbol(node);
    return s < g->count ? g->flags[s] : 0;
}

static int id_of(const Grammar *g, TSNode node) {
    TSSymbol s = ts_node_symbol(node);
    return s < g->count ? g->ids[s] : ID_OTHER;
}

static int load_grammar(Grammar *g, PyObject *capsule) {
    const TSLanguage *language = PyCapsule_GetPointer(capsule, "tree_sitter.Language");
    if (language == NULL) return -1;
    TSParser *parser = ts_parser_new();
    if (parser == NULL || !ts_parser_set_language(parser, language)) {
        if (parser != NULL) ts_parser_delete(parser);
        PyErr_Format(PyExc_ValueError, "this grammar's ABI version %u is not one the runtime reads (%d to %d)",
                     ts_language_abi_version(language), TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION,
                     TREE_SITTER_LANGUAGE_VERSION);
        return -1;
    }
    uint32_t count = ts_language_symbol_count(language);
    unsigned *flags = PyMem_Calloc(count ? count : 1, sizeof *flags);
    unsigned char *ids = PyMem_Calloc(count ? count : 1, 1);
    if (flags == NULL || ids == NULL) {
        PyMem_Free(flags);
        PyMem_Free(ids);
        ts_parser_delete(parser);
        PyErr_NoMemory();
        return -1;
    }
    for (uint32_t s = 0; s < count; s++) {
        const char *name = ts_language_symbol_name(language, (TSSymbol)s);
        if (name == NULL) continue;
        for (size_t k = 0; k < sizeof KINDS / sizeof KINDS[0]; k++) {
            if (strcmp(name, KINDS[k].name) == 0) {
                flags[s] = KINDS[k].flags;
                ids[s] = (unsigned char)KINDS[k].id;
                break;
            }
        }
    }
    if (g->parser != NULL) ts_parser_delete(g->parser);
    PyMem_Free(g->flags);
    PyMem_Free(g->ids);
    g->language = language;
    g->parser = parser;
    g->count = count;
    g->flags = flags;
    g->ids = ids;
    return 0;
}

/* -- the scan ------------------------------------------------------------------------------------- */
enum { USED = 0, UNDECIDED = 1, SYNTAX_ERROR = 2 };
/* A name's meanings (VALUE, TYPE, NAMESPACE in seenfix.editors.typescript). */
enum { VALUE = 1, TYPE = 2, NAMESPACE = 4, ALL = 7 };

typedef struct { uint32_t at; int meaning; } Ref;
typedef struct { uint32_t start, end; int meaning; } Scope;

/* One file's scan: its text and grammar, the path from the root to the node in hand (the cursor's
 * ancestors, so that a parent costs nothing: ts_node_parent walks down from the root), and the
 * references and declarations found for the name in hand (_Occurrences). */
typedef struct {
    const Grammar *g;
    const char *src;
    uint32_t size;
    TSNode *path;
    size_t depth, path_cap;
    TSNode *top;        /* the root's (visible) children, in order */
    size_t ntop;
    Ref *refs;
    size_t nrefs, refs_cap;
    Scope *decls;
    size_t ndecls, decls_cap;
    int uncertain;
    int oom;
} Scan;

/* ``items`` (``count`` used, ``*cap`` allocated, ``size`` bytes each) with room for one more: the
 * same pointer, or a larger block (``*cap`` doubled), or NULL out of memory (``items`` kept). */
static void *reserve(void *items, size_t count, size_t *cap, size_t size) {
    if (count < *cap) return items;
    size_t more = *cap ? 2 * *cap : 16;
    void *grown = PyMem_Realloc(items, more * size);
    if (grown != NULL) *cap = more;
    return grown;
}

static void add_ref(Scan *s, uint32_t at, int meaning) {
    Ref *refs = reserve(s->refs, s->nrefs, &s->refs_cap, sizeof *refs);
    if (refs == NULL) {
        s->oom = 1;
        return;
    }
    s->refs = refs;
    s->refs[s->nrefs++] = (Ref){at, meaning};
}

static void add_decl(Scan *s, TSNode scope, int meaning) {
    Scope *decls = reserve(s->decls, s->ndecls, &s->decls_cap, sizeof *decls);
    if (decls == NULL) {
        s->oom = 1;
        return;
    }
    s->decls = decls;
    s->decls[s->ndecls++] = (Scope){ts_node_start_byte(scope), ts_node_end_byte(scope), meaning};
}

/* The ancestor ``up`` levels above path[k] (its parent for up = 1), or a null node. */
static TSNode above(const Scan *s, size_t k, size_t up) {
    return up <= k ? s->path[k - up] : (TSNode){0};
}

static int same_range(TSNode a, TSNode b) {
    return ts_node_start_byte(a) == ts_node_start_byte(b) && ts_node_end_byte(a) == ts_node_end_byte(b);
}

/* _field_is: whether ``parent``'s child in ``field`` spans exactly ``node``. */
static int field_is(TSNode parent, const char *field, TSNode node) {
    TSNode other = ts_node_child_by_field_name(parent, field, (uint32_t)strlen(field));
    return !ts_node_is_null(other) && same_range(other, node);
}

static int is_ident_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

/* _declare: a declaration (path[k]) scoped to its nearest ancestor of one of ``scopes``. */
static void declare(Scan *s, size_t k, int meaning, unsigned scopes) {
    size_t i = k;
    while (i > 0 && !(flags_of(s->g, s->path[i - 1]) & scopes)) i--;
    if (i == 0 || id_of(s->g, s->path[i - 1]) == ID_PROGRAM) {
        s->uncertain = 1;  /* a top-level declaration with the import's name: left to tsc */
        return;
    }
    add_decl(s, s->path[i - 1], meaning);
}

/* _classify_pattern: path[k] is an identifier that may sit in a destructuring pattern. */
static void classify_pattern(Scan *s, size_t k, uint32_t start) {
    size_t cur = k;
    TSNode parent;
    for (;;) {
        if (cur == 0) {
            add_ref(s, start, VALUE);
            return;
        }
        parent = s->path[cur - 1];
        int pid = id_of(s->g, parent);
        if (flags_of(s->g, parent) & K_PATTERN) {
            cur--;
        } else if (pid == ID_PAIR_PATTERN && field_is(parent, "value", s->path[cur])) {
            cur--;
        } else if ((pid == ID_ASSIGNMENT_PATTERN || pid == ID_OBJECT_ASSIGNMENT_PATTERN)
                   && field_is(parent, "left", s->path[cur])) {
            cur--;
        } else {
            break;
        }
    }
    size_t p = cur - 1;  /* parent = path[p] */
    int pid = id_of(s->g, parent);
    if (pid == ID_VARIABLE_DECLARATOR && field_is(parent, "name", s->path[cur])) {
        if (p > 0 && id_of(s->g, s->path[p - 1]) == ID_VARIABLE_DECLARATION)
            declare(s, p - 1, VALUE, K_FUNCTION_SCOPE);
        else if (p > 0)
            declare(s, p - 1, VALUE, K_BLOCK_SCOPE);
        else
            declare(s, p, VALUE, K_BLOCK_SCOPE);
    } else if ((flags_of(s->g, parent) & K_PARAM) && field_is(parent, "pattern", s->path[cur])) {
        TSNode owner = above(s, p, 2);  /* the parameters' owner */
        if (ts_node_is_null(owner)) s->uncertain = 1;
        else add_decl(s, owner, VALUE);
    } else if (pid == ID_CATCH_CLAUSE && field_is(parent, "parameter", s->path[cur])) {
        add_decl(s, parent, VALUE);
    } else if (pid == ID_FOR_IN_STATEMENT && field_is(parent, "left", s->path[cur])) {
        TSNode kind = ts_node_child_by_field_name(parent, "kind", 4);
        if (ts_node_is_null(kind)) add_ref(s, start, VALUE);  /* for (x of xs): assigns the outer x */
        else if (id_of(s->g, kind) == ID_VAR) declare(s, p, VALUE, K_FUNCTION_SCOPE);
        else add_decl(s, parent, VALUE);
    } else {
        add_ref(s, start, VALUE);
    }
}

/* _classify_identifier: path[k] is an identifier that is exactly the occurrence at ``start``. */
static void classify_identifier(Scan *s, size_t k, uint32_t start) {
    TSNode node = s->path[k], parent = above(s, k, 1);
    if (ts_node_is_null(parent)) {
        classify_pattern(s, k, start);
        return;
    }
    unsigned pf = flags_of(s->g, parent);
    switch (id_of(s->g, parent)) {
    case ID_JSX_NAMESPACE_NAME: {
        TSNode first = ts_node_child(parent, 0);
        if (!ts_node_is_null(first) && ts_node_start_byte(first) != start
                && ts_node_end_byte(first) - ts_node_start_byte(first) == 3
                && memcmp(s->src + ts_node_start_byte(first), "use", 3) == 0)
            add_ref(s, start, VALUE);  /* Solid: use:name={...} calls name */
        return;
    }
    case ID_EXPORT_SPECIFIER: {
        if (field_is(parent, "alias", node)) return;
        TSNode stmt = above(s, k, 3);
        if (!ts_node_is_null(stmt) && !ts_node_is_null(ts_node_child_by_field_name(stmt, "source", 6)))
            return;  /* export { x } from "y": another module's x */
        add_ref(s, start, ALL);
        return;
    }
    case ID_NESTED_TYPE_IDENTIFIER:
        add_ref(s, start, NAMESPACE);
        return;
    case ID_INDEX_SIGNATURE:
        if (field_is(parent, "name", node)) return;
        break;
    case ID_FUNCTION_EXPRESSION:
        if (field_is(parent, "name", node)) {
            add_decl(s, parent, VALUE);
            return;
        }
        break;
    case ID_ENUM_DECLARATION:
        if (field_is(parent, "name", node)) {
            declare(s, k - 1, VALUE | TYPE, K_BLOCK_SCOPE);
            return;
        }
        break;
    case ID_MODULE:
        if (field_is(parent, "name", node)) {
            declare(s, k - 1, ALL, K_BLOCK_SCOPE);
            return;
        }
        break;
    case ID_IMPORT_ALIAS: {
        TSNode first = ts_node_named_child(parent, 0);
        if (!ts_node_is_null(first) && ts_node_start_byte(first) == start) {
            declare(s, k - 1, ALL, K_BLOCK_SCOPE);
            return;
        }
        break;
    }
    case ID_ARROW_FUNCTION:
        if (field_is(parent, "parameter", node)) {
            add_decl(s, parent, VALUE);
            return;
        }
        break;
    case ID_TYPE_QUERY:
        add_ref(s, start, VALUE);
        return;
    default:
        if (pf & K_JSX_ELEMENT) {
            unsigned char first = (unsigned char)s->src[start];
            if (!(first >= 'a' && first <= 'z')) add_ref(s, start, VALUE);  /* <path />: an intrinsic element */
            return;
        }
        if ((pf & K_BLOCK_DECL_VALUE) && field_is(parent, "name", node)) {
            declare(s, k - 1, VALUE, K_BLOCK_SCOPE);
            return;
        }
        break;
    }
    classify_pattern(s, k, start);
}

/* _classify_type_identifier: path[k] is a type identifier that is exactly the occurrence. */
static void classify_type_identifier(Scan *s, size_t k, uint32_t start) {
    TSNode node = s->path[k], parent = above(s, k, 1);
    if (ts_node_is_null(parent)) {
        add_ref(s, start, TYPE);
        return;
    }
    unsigned pf = flags_of(s->g, parent);
    switch (id_of(s->g, parent)) {
    case ID_NESTED_TYPE_IDENTIFIER:
        return;  /* NS.Name: a member of NS */
    case ID_TYPE_PARAMETER:
        if (field_is(parent, "name", node)) {
            TSNode owner = above(s, k, 3);
            if (ts_node_is_null(owner)) s->uncertain = 1;
            else add_decl(s, owner, TYPE);
            return;
        }
        break;
    case ID_CLASS:
        if (field_is(parent, "name", node)) {
            add_decl(s, parent, VALUE | TYPE);
            return;
        }
        break;
    case ID_INFER_TYPE: {
        size_t i = k - 1;
        while (i > 0 && id_of(s->g, s->path[i - 1]) != ID_CONDITIONAL_TYPE) i--;
        if (i == 0) s->uncertain = 1;
        else add_decl(s, s->path[i - 1], TYPE);
        return;
    }
    case ID_MAPPED_TYPE_CLAUSE:
        if (field_is(parent, "name", node)) {
            TSNode scope = above(s, k, 2);
            add_decl(s, ts_node_is_null(scope) ? parent : scope, TYPE);
            return;
        }
        break;
    default:
        if ((pf & K_BLOCK_DECL_TYPE) && field_is(parent, "name", node)) {
            declare(s, k - 1, TYPE, K_BLOCK_SCOPE);
            return;
        }
        if ((pf & K_CLASS_DECL) && field_is(parent, "name", node)) {
            declare(s, k - 1, VALUE | TYPE, K_BLOCK_SCOPE);
            return;
        }
        break;
    }
    add_ref(s, start, TYPE);
}

static const char *const COMMENT_USES[] = {"@link", "@linkcode", "@linkplain", "@see", "@jsx", "@jsxFrag",
                                           "@jsxImportSource"};

/* _classify: the occurrence start..end of a name, path[k] the smallest node holding it. */
static void classify(Scan *s, size_t k, uint32_t start, uint32_t end) {
    TSNode node = s->path[k];
    unsigned f = flags_of(s->g, node);
    if (ts_node_start_byte(node) != start || ts_node_end_byte(node) != end) {
        if (f & K_COMMENT) {
            uint32_t from = ts_node_start_byte(node), at = start;
            while (at > from && (s->src[at - 1] == ' ' || s->src[at - 1] == '\t')) at--;
            for (size_t i = 0; i < sizeof COMMENT_USES / sizeof COMMENT_USES[0]; i++) {
                size_t n = strlen(COMMENT_USES[i]);
                if (at - from >= n && memcmp(s->src + at - n, COMMENT_USES[i], n) == 0) {
                    add_ref(s, start, ALL);
                    return;
                }
            }
        }
        return;
    }
    if (!ts_node_is_named(node) || (f & (K_NOT_REFERENCE | K_COMMENT))) return;
    int id = id_of(s->g, node);
    if (f & K_IDENTIFIER) classify_identifier(s, k, start);
    else if (f & K_TYPE_IDENTIFIER) classify_type_identifier(s, k, start);
    else if (id == ID_SHORTHAND) add_ref(s, start, VALUE);
    else if (id == ID_SHORTHAND_PATTERN) classify_pattern(s, k, start);
    else add_ref(s, start, ALL);  /* not understood: count it as a use */
}

/* Walk down from the root to the smallest node holding start..end (a non-empty range), recording
 * the path in s->path: ts_node_descendant_for_byte_range's node, with its ancestors.  Only one child
 * of a node can hold a non-empty range, and it is the first to end after ``start``: among the root's
 * children a binary search finds it, below them the cursor's search (through hidden nodes).  When
 * that child does not hold the range, none does.  0, or -1 out of memory. */
static int descend(Scan *s, TSTreeCursor *cursor, uint32_t start, uint32_t end) {
    s->depth = 0;
    size_t lo = 0, hi = s->ntop;
    while (lo < hi) {  /* the first top-level node that ends after start */
        size_t mid = lo + (hi - lo) / 2;
        if (ts_node_end_byte(s->top[mid]) > start) hi = mid;
        else lo = mid + 1;
    }
    if (lo == s->ntop) return 0;
    TSNode child = s->top[lo];
    if (ts_node_start_byte(child) > start || ts_node_end_byte(child) < end) return 0;
    s->path[++s->depth] = child;
    ts_tree_cursor_reset(cursor, child);
    while (ts_tree_cursor_goto_first_child_for_byte(cursor, start) >= 0) {
        child = ts_tree_cursor_current_node(cursor);
        if (ts_node_start_byte(child) > start || ts_node_end_byte(child) < end) break;
        TSNode *path = reserve(s->path, s->depth + 1, &s->path_cap, sizeof *path);
        if (path == NULL) return -1;
        s->path = path;
        s->path[++s->depth] = child;
    }
    return 0;
}

/* The next occurrence of name[0..n) in [p, last + n), or NULL.  A short name: memchr on its first
 * byte, then memcmp (at most SHORT_NAME bytes compared per candidate, so linear; cheaper than
 * memmem for names this short); a longer one: memmem, linear whatever the name. */
enum { SHORT_NAME = 16 };

static const char *find(const char *p, const char *last, const char *name, uint32_t n) {
    if (n > SHORT_NAME) return p > last ? NULL : memmem(p, (size_t)(last - p) + n, name, n);
    while (p <= last) {
        p = memchr(p, (unsigned char)name[0], (size_t)(last - p) + 1);
        if (p == NULL || memcmp(p, name, n) == 0) return p;
        p++;
    }
    return NULL;
}

/* _is_used: whether ``name`` is referred to in the gaps, as the Python analysis decides it (an
 * occurrence it does not understand counts as a use); -1 when out of memory. */
static int name_used(Scan *s, TSTreeCursor *cursor, const char *name, uint32_t n, const uint32_t *gaps,
                     size_t ngaps) {
    s->nrefs = s->ndecls = 0;
    s->uncertain = 0;
    for (size_t g = 0; g < ngaps; g++) {
        uint32_t lo = gaps[2 * g], hi = gaps[2 * g + 1];
        if (hi < lo || hi - lo < n) continue;
        const char *p = s->src + lo, *last = s->src + hi - n;
        while ((p = find(p, last, name, n)) != NULL) {
            uint32_t pos = (uint32_t)(p - s->src), end = pos + n;
            if ((pos == 0 || !is_ident_byte((unsigned char)s->src[pos - 1]))
                    && (end >= s->size || !is_ident_byte((unsigned char)s->src[end]))) {
                if (descend(s, cursor, pos, end) != 0) return -1;
                size_t k = s->depth;
                TSNode node = s->path[k];
                unsigned f = flags_of(s->g, node);
                if (k > 0 && (f & (K_IDENTIFIER | K_TYPE_IDENTIFIER)) && ts_node_start_byte(node) == pos
                        && ts_node_end_byte(node) == end
                        && !(flags_of(s->g, s->path[k - 1])
                             & ((f & K_IDENTIFIER) ? K_IDENTIFIER_PARENT : K_TYPE_IDENTIFIER_PARENT))) {
                    add_ref(s, pos, (f & K_IDENTIFIER) ? VALUE : TYPE);  /* the common case: a plain reference */
                } else {
                    classify(s, k, pos, end);
                }
                if (s->oom) return -1;
                if (s->uncertain) return 1;
            }
            p += n;  /* the next search starts after this match, whatever it was (as src.find does) */
        }
    }
    if (s->ndecls == 0) return s->nrefs > 0;
    for (size_t r = 0; r < s->nrefs; r++) {
        uint32_t at = s->refs[r].at;
        int meaning = s->refs[r].meaning, shadowed = 0;
        for (size_t d = 0; d < s->ndecls && !shadowed; d++)
            shadowed = s->decls[d].start <= at && at < s->decls[d].end
                       && (meaning & s->decls[d].meaning) == meaning;
        if (!shadowed) return 1;
    }
    return 0;
}

/* One binding of an import declaration, as import_decl reads it (offsets into the source). */
enum { B_DEFAULT = 0, B_NAMESPACE = 1, B_NAMED = 2 };
typedef struct {
    uint32_t local_start, local_len;   /* the local name */
    uint32_t imported_start, imported_end;  /* the exported name's node (named bindings) */
    int imported_is_string;
    int kind;
    uint32_t start, end, row, column;  /* the binding's node */
    int type_only;
    int64_t comma_end;
    uint32_t decl;                     /* the index of its declaration */
} Binding;

typedef struct {
    uint32_t start, end;
    int64_t source_start, source_end;  /* the last string child, or -1 */
} Decl;

typedef struct {
    Binding *items;
    size_t count, cap;
} Bindings;

static int add_binding(Bindings *out, Binding b) {
    Binding *items = reserve(out->items, out->count, &out->cap, sizeof *items);
    if (items == NULL) return -1;
    out->items = items;
    out->items[out->count++] = b;
    return 0;
}

static Binding binding_at(TSNode node, TSNode local, int kind, int type_only, uint32_t decl) {
    TSPoint at = ts_node_start_point(node);
    Binding b = {ts_node_start_byte(local), ts_node_end_byte(local) - ts_node_start_byte(local), 0, 0, 0, kind,
                 ts_node_start_byte(node), ts_node_end_byte(node), at.row, at.column, type_only, -1, decl};
    return b;
}

/* import_decl for one import_statement: its bindings appended to ``out``, its source in ``decl``.
 * 0, or -1 when the statement is not one the scan reads (import x = require(), a malformed
 * part: import_decl's None), or -2 when out of memory. */
static int read_import(const Scan *s, TSNode stmt, uint32_t index, Decl *decl, Bindings *out) {
    TSNode clause = {0};
    int has_clause = 0, type_only = 0, status = 0;
    decl->start = ts_node_start_byte(stmt);
    decl->end = ts_node_end_byte(stmt);
    decl->source_start = decl->source_end = -1;
    TSTreeCursor cursor = ts_tree_cursor_new(stmt);
    if (ts_tree_cursor_goto_first_child(&cursor)) {
        do {
            TSNode child = ts_tree_cursor_current_node(&cursor);
            int id = id_of(s->g, child);
            if (id == ID_IMPORT_CLAUSE) {
                clause = child;
                has_clause = 1;
            } else if (id == ID_STRING) {
                decl->source_start = ts_node_start_byte(child);
                decl->source_end = ts_node_end_byte(child);
            } else if (id == ID_TYPE) {
                type_only = 1;
            } else if (id == ID_IMPORT_REQUIRE_CLAUSE) {
                status = -1;
            }
        } while (status == 0 && ts_tree_cursor_goto_next_sibling(&cursor));
    }
    if (status != 0 || !has_clause) {
        ts_tree_cursor_delete(&cursor);
        return status;
    }
    ts_tree_cursor_reset(&cursor, clause);
    if (ts_tree_cursor_goto_first_child(&cursor)) {
        do {
            TSNode part = ts_tree_cursor_current_node(&cursor);
            int id = id_of(s->g, part);
            if (flags_of(s->g, part) & K_IDENTIFIER) {
                Binding b = binding_at(part, part, B_DEFAULT, type_only, index);
                if (add_binding(out, b) != 0) status = -2;
            } else if (id == ID_NAMESPACE_IMPORT) {
                uint32_t named = ts_node_named_child_count(part);
                TSNode ident = named ? ts_node_named_child(part, named - 1) : (TSNode){0};
                if (!named || !(flags_of(s->g, ident) & K_IDENTIFIER)) {
                    status = -1;
                } else if (add_binding(out, binding_at(part, ident, B_NAMESPACE, type_only, index)) != 0) {
                    status = -2;
                }
            } else if (id == ID_NAMED_IMPORTS) {
                uint32_t nkids = ts_node_child_count(part), i = 0;
                TSNode *kids = PyMem_Malloc((nkids ? nkids : 1) * sizeof *kids);
                if (kids == NULL) {
                    status = -2;
                    break;
                }
                TSTreeCursor each = ts_tree_cursor_new(part);
                if (ts_tree_cursor_goto_first_child(&each)) {
                    do kids[i++] = ts_tree_cursor_current_node(&each);
                    while (i < nkids && ts_tree_cursor_goto_next_sibling(&each));
                }
                ts_tree_cursor_delete(&each);
                nkids = i;
                for (i = 0; i < nkids && status == 0; i++) {
                    TSNode spec = kids[i];
                    if (id_of(s->g, spec) != ID_IMPORT_SPECIFIER) continue;
                    TSNode first = {0}, alias = {0};
                    int nfirst = 0, nalias = 0, inline_type = 0;
                    uint32_t count = ts_node_child_count(spec);
                    for (uint32_t c = 0; c < count; c++) {
                        TSNode child = ts_node_child(spec, c);
                        int cid = id_of(s->g, child);
                        if ((flags_of(s->g, child) & K_IDENTIFIER) || cid == ID_STRING) {
                            if (!nfirst) { first = child; nfirst = 1; }
                            else { alias = child; nalias = 1; }
                        } else if (cid == ID_TYPE) {
                            inline_type = 1;
                        }
                    }
                    TSNode local = nalias ? alias : first;
                    if (!nfirst || !(flags_of(s->g, local) & K_IDENTIFIER)) {
                        status = -1;  /* no name, or a string one: left to the Python analysis */
                        break;
                    }
                    uint32_t j = i + 1;
                    while (j < nkids && (flags_of(s->g, kids[j]) & K_COMMENT)) j++;
                    Binding b = binding_at(spec, local, B_NAMED, type_only || inline_type, index);
                    b.imported_start = ts_node_start_byte(first);
                    b.imported_end = ts_node_end_byte(first);
                    b.imported_is_string = id_of(s->g, first) == ID_STRING;
                    if (j < nkids && id_of(s->g, kids[j]) == ID_COMMA) b.comma_end = ts_node_end_byte(kids[j]);
                    if (add_binding(out, b) != 0) status = -2;
                }
                PyMem_Free(kids);
            }
        } while (status == 0 && ts_tree_cursor_goto_next_sibling(&cursor));
    }
    ts_tree_cursor_delete(&cursor);
    return status;
}

/* The answer for one parsed file: 0 with the unused bindings in ``unused`` (flags per binding of
 * ``all``), UNDECIDED, or -2 when out of memory. */
typedef struct {
    Decl *decls;
    size_t ndecls, cap;
    Bindings all;
    unsigned char *unused;
} Answer;

/* More bindings than this in one file: left to the Python analysis (which tells names apart by hashing). */
enum { MAX_BINDINGS = 512 };

static int scan_tree(Scan *s, TSNode root, Answer *a) {
    uint32_t pos = 0;
    int status = USED;
    uint32_t *gaps = NULL;
    TSTreeCursor cursor = ts_tree_cursor_new(root);
    if (ts_tree_cursor_goto_first_child(&cursor)) {
        do {
            TSNode stmt = ts_tree_cursor_current_node(&cursor);
            if (!(flags_of(s->g, stmt) & K_IMPORT_STATEMENT)) continue;
            Decl *decls = reserve(a->decls, a->ndecls, &a->cap, sizeof *decls);
            if (decls == NULL) {
                status = -2;
                break;
            }
            a->decls = decls;
            int got = read_import(s, stmt, (uint32_t)a->ndecls, &a->decls[a->ndecls], &a->all);
            if (got != 0) {
                status = got == -1 ? UNDECIDED : -2;
                break;
            }
            a->ndecls++;
        } while (ts_tree_cursor_goto_next_sibling(&cursor));
    }
    ts_tree_cursor_delete(&cursor);
    if (status != USED || a->all.count == 0) return status;
    if (a->all.count > MAX_BINDINGS) return UNDECIDED;  /* the names are told apart pairwise below */
    /* the stretches between the import declarations, where a reference may be */
    gaps = PyMem_Malloc(2 * (a->ndecls + 1) * sizeof *gaps);
    a->unused = PyMem_Calloc(a->all.count, 1);
    if (gaps == NULL || a->unused == NULL) {
        PyMem_Free(gaps);
        return -2;
    }
    for (size_t k = 0; k < a->ndecls; k++) {
        gaps[2 * k] = pos;
        gaps[2 * k + 1] = a->decls[k].start;
        pos = a->decls[k].end;
    }
    gaps[2 * a->ndecls] = pos;
    gaps[2 * a->ndecls + 1] = s->size;
    /* each distinct name once; a name's answer holds for every binding of it */
    const Binding *b = a->all.items;
    TSTreeCursor walker = ts_tree_cursor_new(root);
    s->path[0] = root;
    uint32_t count = ts_node_child_count(root);
    s->top = PyMem_Malloc((count ? count : 1) * sizeof *s->top);
    if (s->top == NULL) status = -2;
    else if (ts_tree_cursor_goto_first_child(&walker)) {
        do s->top[s->ntop++] = ts_tree_cursor_current_node(&walker);
        while (s->ntop < count && ts_tree_cursor_goto_next_sibling(&walker));
    }
    for (size_t i = 0; i < a->all.count && status == USED; i++) {
        size_t j = 0;
        while (j < i && !(b[j].local_len == b[i].local_len
                          && memcmp(s->src + b[j].local_start, s->src + b[i].local_start, b[i].local_len) == 0))
            j++;
        if (j < i) {
            a->unused[i] = a->unused[j];
            continue;
        }
        if (b[i].local_len == 0) {
            status = UNDECIDED;
            break;
        }
        int used = name_used(s, &walker, s->src + b[i].local_start, b[i].local_len, gaps, a->ndecls + 1);
        if (used < 0) status = -2;
        a->unused[i] = used == 0;
    }
    ts_tree_cursor_delete(&walker);
    PyMem_Free(gaps);
    return status;
}

/* -- the module ----------------------------------------------------------------------------------- */
static PyObject *binding_tuple(const Answer *a, const Binding *b) {
    const Decl *d = &a->decls[b->decl];
    return Py_BuildValue("(iIIIIIIIIIiLLLI)", b->kind, b->local_start, b->local_start + b->local_len,
                         b->imported_start, b->imported_end, b->imported_is_string ? 1u : 0u, b->start, b->end,
                         b->row, b->column, b->type_only, (long long)b->comma_end, (long long)d->source_start,
                         (long long)d->source_end, d->start);
}

static PyObject *scan(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    int tsx;
    if (!PyArg_ParseTuple(args, "y*p:scan", &view, &tsx)) return NULL;
    const Grammar *g = &GRAMMARS[tsx ? 1 : 0];
    if (g->parser == NULL) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_RuntimeError, "scan() before init()");
        return NULL;
    }
    if (view.len > (Py_ssize_t)UINT32_MAX - 1) {
        PyBuffer_Release(&view);
        Py_RETURN_NONE;
    }
    Scan s = {.g = g, .src = (const char *)view.buf, .size = (uint32_t)view.len};
    s.path_cap = 64;
    s.path = PyMem_Malloc(s.path_cap * sizeof *s.path);
    TSTree *tree = s.path == NULL ? NULL : ts_parser_parse_string(g->parser, NULL, s.src, s.size);
    Answer a = {0};
    int answer = s.path == NULL ? -2 : UNDECIDED;
    if (tree != NULL) {
        TSNode root = ts_tree_root_node(tree);
        answer = ts_node_has_error(root) ? SYNTAX_ERROR : scan_tree(&s, root, &a);
        ts_tree_delete(tree);
    }
    PyObject *out = NULL;
    if (answer == -2) {
        PyErr_NoMemory();
    } else if (answer == SYNTAX_ERROR) {
        out = Py_NewRef(Py_False);
    } else if (answer != USED) {
        out = Py_NewRef(Py_None);
    } else {
        size_t n = 0;
        for (size_t i = 0; i < a.all.count; i++) n += a.unused != NULL && a.unused[i];
        out = PyTuple_New((Py_ssize_t)n);
        for (size_t i = 0, k = 0; out != NULL && i < a.all.count; i++) {
            if (a.unused == NULL || !a.unused[i]) continue;
            PyObject *item = binding_tuple(&a, &a.all.items[i]);
            if (item == NULL) {
                Py_CLEAR(out);
                break;
            }
            PyTuple_SET_ITEM(out, (Py_ssize_t)k++, item);
        }
    }
    PyMem_Free(s.path);
    PyMem_Free(s.top);
    PyMem_Free(s.refs);
    PyMem_Free(s.decls);
    PyMem_Free(a.decls);
    PyMem_Free(a.all.items);
    PyMem_Free(a.unused);
    PyBuffer_Release(&view);
    return out;
}

static PyObject *init(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *ts, *tsx;
    if (!PyArg_ParseTuple(args, "OO:init", &ts, &tsx)) return NULL;
    if (load_grammar(&GRAMMARS[0], ts) != 0 || load_grammar(&GRAMMARS[1], tsx) != 0) return NULL;
    Py_RETURN_NONE;
}

/* The shape of scan()'s answer (see the module's docstring); a change there changes this number. */
#define LAYOUT 2

static PyObject *layout(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return PyLong_FromLong(LAYOUT);
}

static PyObject *version(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return PyLong_FromLong(TREE_SITTER_LANGUAGE_VERSION);
}

static PyMethodDef methods[] = {
    {"init", init, METH_VARARGS,
     "init(typescript, tsx): the grammars' capsules (tree_sitter_typescript.language_typescript(), "
     "language_tsx())."},
    {"scan", scan, METH_VARARGS,
     "scan(src: bytes, tsx: bool): False for a syntax error, None when the Python analysis must decide, "
     "else a tuple of the "
     "unused bindings, each (kind, local start, local end, imported start, imported end, imported is a "
     "string, start, end, row, column, type only, comma end, source start, source end, declaration start)."},
    {"version", version, METH_NOARGS, "The newest grammar ABI version the bundled runtime reads."},
    {"layout", layout, METH_NOARGS, "The shape of scan()'s answer (2)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_unused_scan", NULL, -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__unused_scan(void) { return PyModule_Create(&module); }
