/* core/inspect/template_parse.c — text/template's parser (parse.go) and the
 * syntax tree's String() (node.go): pipelines, commands, operands, control
 * structures, {{define}}/{{template}}, variable scopes, and Go's parse error
 * messages with their line numbers. Nodes live in the run's arena. */
#include "inspect/template_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/gojson.h"

void template_parse_fail(template_state *st, const char *fmt, ...)
{
    strbuf sb = STRBUF_INIT;
    strbuf_printf(&sb, "template: %s:%d: ", TEMPLATE_NAME, template_line_of(st, st->last_lexed_pos));
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(&sb, fmt, ap);
    va_end(ap);
    template_throw(st, &sb);
}

static template_tok template_next(template_state *st)
{
    if (st->peek_count > 0)
        st->peek_count--;
    else
        st->tok[0] = template_lex(st);
    return st->tok[st->peek_count];
}

static void template_backup(template_state *st)
{
    st->peek_count++;
}

static void template_backup2(template_state *st, template_tok t1)
{
    st->tok[1] = t1;
    st->peek_count = 2;
}

static void template_backup3(template_state *st, template_tok t2, template_tok t1)
{
    st->tok[1] = t1;
    st->tok[2] = t2;
    st->peek_count = 3;
}

static template_tok template_peek(template_state *st)
{
    if (st->peek_count > 0)
        return st->tok[st->peek_count - 1];
    st->peek_count = 1;
    st->tok[0] = template_lex(st);
    return st->tok[0];
}

static template_tok template_next_non_space(template_state *st)
{
    template_tok t;
    do
        t = template_next(st);
    while (t.type == TOK_SPACE);
    return t;
}

static template_tok template_peek_non_space(template_state *st)
{
    template_tok t = template_next_non_space(st);
    template_backup(st);
    return t;
}

/* item.String(): EOF, the error text, <keyword>, or the quoted value
 * (%.10q... when longer than 10 bytes) */
static void template_tok_string(strbuf *sb, const template_tok *t)
{
    if (t->type == TOK_EOF) {
        strbuf_puts(sb, "EOF");
    } else if (t->type == TOK_ERROR) {
        strbuf_append(sb, t->val, t->len);
    } else if (t->type > TOK_KEYWORD) {
        strbuf_printf(sb, "<%.*s>", (int)t->len, t->val);
    } else if (t->len > 10) {
        size_t n = 0, runes = 0;
        while (n < t->len && runes < 10) {
            unsigned r;
            n += gojson_utf8_decode((const unsigned char *)t->val + n, t->len - n, &r);
            runes++;
        }
        template_quote(sb, t->val, n, '"');
        strbuf_puts(sb, "...");
    } else {
        template_quote(sb, t->val, t->len, '"');
    }
}

static void template_unexpected(template_state *st, template_tok t, const char *context) __attribute__((noreturn));

static void template_unexpected(template_state *st, template_tok t, const char *context)
{
    strbuf sb = STRBUF_INIT;
    if (t.type == TOK_ERROR) {
        template_tok_string(&sb, &t);
        int tline = template_line_of(st, t.pos), aline = template_line_of(st, st->action_pos);
        if (st->in_action && aline != tline) {
            if (t.len >= 7 && memcmp(t.val + t.len - 7, " action", 7) == 0)
                strbuf_printf(&sb, " started at %s:%d", TEMPLATE_NAME, aline);
            else
                strbuf_printf(&sb, " in action started at %s:%d", TEMPLATE_NAME, aline);
        }
    } else {
        strbuf_puts(&sb, "unexpected ");
        template_tok_string(&sb, &t);
        strbuf_printf(&sb, " in %s", context);
    }
    char *msg = template_keep(st, &sb, NULL);
    template_parse_fail(st, "%s", msg);
}

template_node *template_new_node(template_state *st, template_node_type type, size_t pos)
{
    template_node *n = template_alloc(st, sizeof *n);
    n->type = type;
    n->pos = pos;
    return n;
}

static void template_add_kid(template_state *st, template_node *parent, template_node *kid)
{
    parent->kids = template_push_ptr(st, parent->kids, &parent->n_kids, &parent->cap_kids, kid);
}

static void template_add_ident(template_state *st, template_node *n, const char *s, size_t len)
{
    const char **a = template_alloc(st, (n->n_idents + 1) * sizeof *a);
    if (n->n_idents)
        memcpy(a, n->idents, n->n_idents * sizeof *a);
    a[n->n_idents++] = template_strndup(st, s, len);
    n->idents = a;
}

/* ".A.B" into idents A, B */
static void template_add_fields(template_state *st, template_node *n, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i + 1;
        while (j < len && s[j] != '.')
            j++;
        template_add_ident(st, n, s + i + 1, j - i - 1);
        i = j;
    }
}

static template_node *template_pipeline(template_state *st, const char *context, template_tok_type end);
static template_node *template_item_list(template_state *st, template_node **end_node);

static template_node *template_use_var(template_state *st, template_tok t)
{
    template_node *v = template_new_node(st, NODE_VARIABLE, t.pos);
    size_t i = 0;
    while (i < t.len && t.val[i] != '.')
        i++;
    template_add_ident(st, v, t.val, i);
    if (i < t.len)
        template_add_fields(st, v, t.val + i, t.len - i);
    for (size_t k = st->n_vars; k > 0; k--)
        if (strcmp(st->vars[k - 1], v->idents[0]) == 0)
            return v;
    template_parse_fail(st, "undefined variable \"%s\"", v->idents[0]);
}

static template_node *template_term(template_state *st)
{
    template_tok t = template_next_non_space(st);
    switch (t.type) {
    case TOK_IDENT: {
        if (template_builtin_find(t.val, t.len) == NULL)
            template_parse_fail(st, "function \"%.*s\" not defined", (int)t.len, t.val);
        template_node *n = template_new_node(st, NODE_IDENT, t.pos);
        n->text = template_strndup(st, t.val, t.len);
        n->text_len = t.len;
        return n;
    }
    case TOK_DOT:
        return template_new_node(st, NODE_DOT, t.pos);
    case TOK_NIL:
        return template_new_node(st, NODE_NIL, t.pos);
    case TOK_VARIABLE:
        return template_use_var(st, t);
    case TOK_FIELD: {
        template_node *n = template_new_node(st, NODE_FIELD, t.pos);
        template_add_fields(st, n, t.val, t.len);
        return n;
    }
    case TOK_BOOL: {
        template_node *n = template_new_node(st, NODE_BOOL, t.pos);
        n->boolean = t.len == 4;
        return n;
    }
    case TOK_CHAR_CONST:
    case TOK_COMPLEX:
    case TOK_NUMBER:
        return template_new_number(st, t);
    case TOK_LPAREN:
        return template_pipeline(st, "parenthesized pipeline", TOK_RPAREN);
    case TOK_STRING:
    case TOK_RAW_STRING: {
        template_node *n = template_new_node(st, NODE_STRING, t.pos);
        char *v;
        size_t vl;
        if (template_unquote(st, t.val, t.len, &v, &vl) != 0)
            template_parse_fail(st, "invalid syntax");
        n->text = v;
        n->text_len = vl;
        n->quoted = template_strndup(st, t.val, t.len);
        return n;
    }
    default:
        template_backup(st);
        return NULL;
    }
}

static template_node *template_operand(template_state *st)
{
    template_node *node = template_term(st);
    if (node == NULL)
        return NULL;
    if (template_peek(st).type == TOK_FIELD) {
        template_node *chain = template_new_node(st, NODE_CHAIN, template_peek(st).pos);
        chain->node = node;
        while (template_peek(st).type == TOK_FIELD) {
            template_tok f = template_next(st);
            template_add_fields(st, chain, f.val, f.len);
        }
        switch (node->type) {
        case NODE_FIELD:
        case NODE_VARIABLE: {
            /* more fields on the original node, at the chain's position */
            template_node *merged = template_new_node(st, node->type, chain->pos);
            for (size_t i = 0; i < node->n_idents; i++)
                template_add_ident(st, merged, node->idents[i], strlen(node->idents[i]));
            for (size_t i = 0; i < chain->n_idents; i++)
                template_add_ident(st, merged, chain->idents[i], strlen(chain->idents[i]));
            return merged;
        }
        case NODE_BOOL:
        case NODE_STRING:
        case NODE_NUMBER:
        case NODE_NIL:
        case NODE_DOT: {
            strbuf sb = STRBUF_INIT;
            template_node_string(&sb, node);
            strbuf sq = STRBUF_INIT;
            template_quote(&sq, sb.data ? sb.data : "", sb.len, '"');
            strbuf_release(&sb);
            template_parse_fail(st, "unexpected . after term %s", template_keep(st, &sq, NULL));
        }
        default:
            return chain;
        }
    }
    return node;
}

static template_node *template_command(template_state *st)
{
    template_node *cmd = template_new_node(st, NODE_COMMAND, template_peek_non_space(st).pos);
    for (;;) {
        template_peek_non_space(st);
        template_node *operand = template_operand(st);
        if (operand)
            template_add_kid(st, cmd, operand);
        template_tok t = template_next(st);
        if (t.type == TOK_SPACE)
            continue;
        if (t.type == TOK_RIGHT_DELIM || t.type == TOK_RPAREN)
            template_backup(st);
        else if (t.type != TOK_PIPE)
            template_unexpected(st, t, "operand");
        break;
    }
    if (cmd->n_kids == 0)
        template_parse_fail(st, "empty command");
    return cmd;
}

static void template_push_var(template_state *st, const char *name)
{
    st->vars = template_push_ptr(st, st->vars, &st->n_vars, &st->cap_vars, name);
}

static template_node *template_pipeline(template_state *st, const char *context, template_tok_type end)
{
    template_tok first = template_peek_non_space(st);
    template_node *pipe = template_new_node(st, NODE_PIPE, first.pos);
    size_t cap_decl = 0;
    for (;;) {
        template_tok v = template_peek_non_space(st);
        if (v.type != TOK_VARIABLE)
            break;
        template_next_non_space(st);
        template_tok after = template_peek(st);
        template_tok next = template_peek_non_space(st);
        if (next.type == TOK_ASSIGN || next.type == TOK_DECLARE) {
            pipe->is_assign = next.type == TOK_ASSIGN;
            template_next_non_space(st);
            template_node *var = template_new_node(st, NODE_VARIABLE, v.pos);
            template_add_ident(st, var, v.val, v.len);
            pipe->decl = template_push_ptr(st, pipe->decl, &pipe->n_decl, &cap_decl, var);
            template_push_var(st, var->idents[0]);
        } else if (next.type == TOK_CHAR && next.len == 1 && next.val[0] == ',') {
            template_next_non_space(st);
            template_node *var = template_new_node(st, NODE_VARIABLE, v.pos);
            template_add_ident(st, var, v.val, v.len);
            pipe->decl = template_push_ptr(st, pipe->decl, &pipe->n_decl, &cap_decl, var);
            template_push_var(st, var->idents[0]);
            if (strcmp(context, "range") == 0 && pipe->n_decl < 2) {
                template_tok_type pt = template_peek_non_space(st).type;
                if (pt == TOK_VARIABLE || pt == TOK_RIGHT_DELIM || pt == TOK_RPAREN)
                    continue;
                template_parse_fail(st, "range can only initialize variables");
            }
            template_parse_fail(st, "too many declarations in %s", context);
        } else if (after.type == TOK_SPACE) {
            template_backup3(st, v, after);
        } else {
            template_backup2(st, v);
        }
        break;
    }
    for (;;) {
        template_tok t = template_next_non_space(st);
        if (t.type == end) {
            if (pipe->n_kids == 0)
                template_parse_fail(st, "missing value for %s", context);
            for (size_t i = 1; i < pipe->n_kids; i++) {
                template_node_type a = pipe->kids[i]->kids[0]->type;
                if (a == NODE_BOOL || a == NODE_DOT || a == NODE_NIL || a == NODE_NUMBER || a == NODE_STRING)
                    template_parse_fail(st, "non executable command in pipeline stage %zu", i + 1);
            }
            return pipe;
        }
        switch (t.type) {
        case TOK_BOOL:
        case TOK_CHAR_CONST:
        case TOK_COMPLEX:
        case TOK_DOT:
        case TOK_FIELD:
        case TOK_IDENT:
        case TOK_NUMBER:
        case TOK_NIL:
        case TOK_RAW_STRING:
        case TOK_STRING:
        case TOK_VARIABLE:
        case TOK_LPAREN:
            template_backup(st);
            template_add_kid(st, pipe, template_command(st));
            break;
        default:
            template_unexpected(st, t, context);
        }
    }
}

static template_node *template_parse_control(template_state *st, template_node_type type, const char *context)
{
    size_t vars_mark = st->n_vars;
    template_node *pipe = template_pipeline(st, context, TOK_RIGHT_DELIM);
    template_node *n = template_new_node(st, type, pipe->pos);
    n->pipe = pipe;
    template_node *next;
    if (type == NODE_RANGE)
        st->range_depth++;
    n->list = template_item_list(st, &next);
    if (type == NODE_RANGE)
        st->range_depth--;
    if (next->type == NODE_ELSE) {
        if (type == NODE_IF && template_peek(st).type == TOK_IF) {
            /* {{else if}}: an {{if}} inside the else branch sharing the {{end}} */
            template_next(st);
            n->else_list = template_new_node(st, NODE_LIST, next->pos);
            template_add_kid(st, n->else_list, template_parse_control(st, NODE_IF, "if"));
        } else {
            n->else_list = template_item_list(st, &next);
            if (next->type != NODE_END) {
                strbuf sb = STRBUF_INIT;
                template_node_string(&sb, next);
                template_parse_fail(st, "expected end; found %s", template_keep(st, &sb, NULL));
            }
        }
    }
    st->n_vars = vars_mark;
    return n;
}

static const char *template_template_name(template_state *st, template_tok t, const char *context)
{
    if (t.type != TOK_STRING && t.type != TOK_RAW_STRING)
        template_unexpected(st, t, context);
    char *v;
    size_t vl;
    if (template_unquote(st, t.val, t.len, &v, &vl) != 0)
        template_parse_fail(st, "invalid syntax");
    return v;
}

static template_node *template_action(template_state *st)
{
    template_tok t = template_next_non_space(st);
    switch (t.type) {
    case TOK_BLOCK: {
        template_tok name_tok = template_next_non_space(st);
        template_node *n = template_new_node(st, NODE_TEMPLATE, name_tok.pos);
        n->text = template_template_name(st, name_tok, "block clause");
        n->pipe = template_pipeline(st, "block clause", TOK_RIGHT_DELIM);
        template_node *end;
        /* a block is a template of its own: only $ is defined, no range
         * encloses it */
        const char **vars = st->vars;
        size_t n_vars = st->n_vars, cap_vars = st->cap_vars;
        int range_depth = st->range_depth;
        st->vars = NULL;
        st->n_vars = st->cap_vars = 0;
        st->range_depth = 0;
        template_push_var(st, "$");
        template_node *body = template_item_list(st, &end);
        st->vars = vars;
        st->n_vars = n_vars;
        st->cap_vars = cap_vars;
        st->range_depth = range_depth;
        if (end->type != NODE_END) {
            strbuf sb = STRBUF_INIT;
            template_node_string(&sb, end);
            template_parse_fail(st, "unexpected %s in block clause", template_keep(st, &sb, NULL));
        }
        st->named = template_arena_grow(st, st->named, st->n_named, &st->cap_named, sizeof *st->named);
        st->named[st->n_named++] = (template_named){n->text, body};
        return n;
    }
    case TOK_BREAK:
    case TOK_CONTINUE: {
        template_tok r = template_next_non_space(st);
        const char *what = t.type == TOK_BREAK ? "break" : "continue";
        if (r.type != TOK_RIGHT_DELIM)
            template_unexpected(st, r, t.type == TOK_BREAK ? "{{break}}" : "{{continue}}");
        if (st->range_depth == 0)
            template_parse_fail(st, "{{%s}} outside {{range}}", what);
        return template_new_node(st, t.type == TOK_BREAK ? NODE_BREAK : NODE_CONTINUE, t.pos);
    }
    case TOK_ELSE: {
        template_tok peek = template_peek_non_space(st);
        if (peek.type == TOK_IF)
            return template_new_node(st, NODE_ELSE, peek.pos);
        template_tok r = template_next_non_space(st);
        if (r.type != TOK_RIGHT_DELIM)
            template_unexpected(st, r, "else");
        return template_new_node(st, NODE_ELSE, r.pos);
    }
    case TOK_END: {
        template_tok r = template_next_non_space(st);
        if (r.type != TOK_RIGHT_DELIM)
            template_unexpected(st, r, "end");
        return template_new_node(st, NODE_END, r.pos);
    }
    case TOK_IF:
        return template_parse_control(st, NODE_IF, "if");
    case TOK_RANGE:
        return template_parse_control(st, NODE_RANGE, "range");
    case TOK_WITH:
        return template_parse_control(st, NODE_WITH, "with");
    case TOK_TEMPLATE: {
        template_tok name_tok = template_next_non_space(st);
        template_node *n = template_new_node(st, NODE_TEMPLATE, name_tok.pos);
        n->text = template_template_name(st, name_tok, "template clause");
        if (template_next_non_space(st).type != TOK_RIGHT_DELIM) {
            template_backup(st);
            n->pipe = template_pipeline(st, "template clause", TOK_RIGHT_DELIM);
        }
        return n;
    }
    default:
        break;
    }
    template_backup(st);
    template_tok p = template_peek(st);
    template_node *n = template_new_node(st, NODE_ACTION, p.pos);
    n->pipe = template_pipeline(st, "command", TOK_RIGHT_DELIM);
    return n;
}

static template_node *template_text_or_action(template_state *st)
{
    template_tok t = template_next_non_space(st);
    if (t.type == TOK_TEXT) {
        template_node *n = template_new_node(st, NODE_TEXT, t.pos);
        n->text = t.val;
        n->text_len = t.len;
        return n;
    }
    if (t.type == TOK_LEFT_DELIM) {
        st->in_action = 1;
        st->action_pos = t.pos;
        template_node *n = template_action(st);
        st->in_action = 0;
        return n;
    }
    template_unexpected(st, t, "input");
}

static template_node *template_item_list(template_state *st, template_node **end_node)
{
    template_node *list = template_new_node(st, NODE_LIST, template_peek_non_space(st).pos);
    while (template_peek_non_space(st).type != TOK_EOF) {
        template_node *n = template_text_or_action(st);
        if (n->type == NODE_END || n->type == NODE_ELSE) {
            *end_node = n;
            return list;
        }
        template_add_kid(st, list, n);
    }
    template_parse_fail(st, "unexpected EOF");
}

template_node *template_parse(template_state *st)
{
    template_push_var(st, "$");
    template_node *root = template_new_node(st, NODE_LIST, template_peek(st).pos);
    while (template_peek(st).type != TOK_EOF) {
        template_node *n = template_text_or_action(st);
        if (n->type == NODE_END || n->type == NODE_ELSE) {
            strbuf sb = STRBUF_INIT;
            template_node_string(&sb, n);
            template_parse_fail(st, "unexpected %s", template_keep(st, &sb, NULL));
        }
        template_add_kid(st, root, n);
    }
    return root;
}

/* parse.Node.String() */
void template_node_string(strbuf *sb, const template_node *n)
{
    switch (n->type) {
    case NODE_LIST:
        for (size_t i = 0; i < n->n_kids; i++)
            template_node_string(sb, n->kids[i]);
        break;
    case NODE_TEXT:
        strbuf_append(sb, n->text, n->text_len);
        break;
    case NODE_ACTION:
        strbuf_puts(sb, "{{");
        template_node_string(sb, n->pipe);
        strbuf_puts(sb, "}}");
        break;
    case NODE_IF:
    case NODE_RANGE:
    case NODE_WITH:
        strbuf_printf(sb, "{{%s ", n->type == NODE_IF ? "if" : n->type == NODE_RANGE ? "range" : "with");
        template_node_string(sb, n->pipe);
        strbuf_puts(sb, "}}");
        template_node_string(sb, n->list);
        if (n->else_list) {
            strbuf_puts(sb, "{{else}}");
            template_node_string(sb, n->else_list);
        }
        strbuf_puts(sb, "{{end}}");
        break;
    case NODE_TEMPLATE:
        strbuf_puts(sb, "{{template ");
        template_quote(sb, n->text, strlen(n->text), '"');
        if (n->pipe) {
            strbuf_puts(sb, " ");
            template_node_string(sb, n->pipe);
        }
        strbuf_puts(sb, "}}");
        break;
    case NODE_BREAK:
    case NODE_CONTINUE:
    case NODE_END:
    case NODE_ELSE:
    case NODE_DOT:
    case NODE_NIL: {
        static const char *const fixed[] = {[NODE_BREAK] = "{{break}}", [NODE_CONTINUE] = "{{continue}}",
                                            [NODE_END] = "{{end}}",     [NODE_ELSE] = "{{else}}",
                                            [NODE_DOT] = ".",           [NODE_NIL] = "nil"};
        strbuf_puts(sb, fixed[n->type]);
        break;
    }
    case NODE_PIPE:
        for (size_t i = 0; i < n->n_decl; i++) {
            if (i)
                strbuf_puts(sb, ", ");
            template_node_string(sb, n->decl[i]);
        }
        if (n->n_decl)
            strbuf_puts(sb, n->is_assign ? " = " : " := ");
        for (size_t i = 0; i < n->n_kids; i++) {
            if (i)
                strbuf_puts(sb, " | ");
            template_node_string(sb, n->kids[i]);
        }
        break;
    case NODE_COMMAND:
        for (size_t i = 0; i < n->n_kids; i++) {
            if (i)
                strbuf_puts(sb, " ");
            if (n->kids[i]->type == NODE_PIPE) {
                strbuf_puts(sb, "(");
                template_node_string(sb, n->kids[i]);
                strbuf_puts(sb, ")");
            } else {
                template_node_string(sb, n->kids[i]);
            }
        }
        break;
    case NODE_IDENT:
        strbuf_puts(sb, n->text);
        break;
    case NODE_FIELD:
        for (size_t i = 0; i < n->n_idents; i++)
            strbuf_printf(sb, ".%s", n->idents[i]);
        break;
    case NODE_VARIABLE:
        for (size_t i = 0; i < n->n_idents; i++)
            strbuf_printf(sb, "%s%s", i ? "." : "", n->idents[i]);
        break;
    case NODE_CHAIN:
        if (n->node->type == NODE_PIPE) {
            strbuf_puts(sb, "(");
            template_node_string(sb, n->node);
            strbuf_puts(sb, ")");
        } else {
            template_node_string(sb, n->node);
        }
        for (size_t i = 0; i < n->n_idents; i++)
            strbuf_printf(sb, ".%s", n->idents[i]);
        break;
    case NODE_BOOL:
        strbuf_puts(sb, n->boolean ? "true" : "false");
        break;
    case NODE_NUMBER:
        strbuf_puts(sb, n->text);
        break;
    case NODE_STRING:
        strbuf_puts(sb, n->quoted);
        break;
    }
}
