/* backend_parse.c — TextFSM parsing off the daemon's loop: one parser thread takes batches of
 * device outputs (the outputs of one POST /v1/commands with "parse": true) from a bounded queue,
 * runs each through the template the inventory generation's library picks for the host's
 * platform and the command, and hands the records (or a parse_error per output) back to the
 * loop through a pipe, where `done` runs. A big output or a slow template costs this thread's
 * time, never the loop's: other devices, /healthz and event streams go on. The generation's
 * template library is used by this thread only (tfsm_lib.h is not thread-safe: it compiles
 * templates as they are first needed), created on the loop before the first batch; the thread
 * touches no reference count and no loop state. A batch owns its texts, so a request cancelled
 * while its outputs are being parsed is simply dropped when the thread hands the batch back. Each parse is bounded by tfsm.h's limits (time,
 * backtracking, result size). Not the commands themselves (backend_cmd.c). */
#include "backend_int.h"
#include "log.h"
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PARSE_QUEUE_MAX 256 /* batches waiting; more: the outputs get a parse_error */

struct nd_be_parsing {
    nd_be *be;
    nd_be_inv *gen;           /* a reference held for the thread (dropped on the loop) */
    na_tfsm_lib *lib;         /* the generation's; NULL: every item fails with lib_err */
    na_err lib_err;
    const char *platform;     /* borrowed from gen */
    nd_be_parse_item *items;  /* owned (texts, records left in them) */
    size_t n;
    nd_be_parsed_cb done;
    void *ud;
    bool abandoned;
    TAILQ_ENTRY(nd_be_parsing) link;
};
TAILQ_HEAD(parseq, nd_be_parsing);

struct nd_be_parser {
    pthread_t th;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct parseq todo, done; /* under mu */
    unsigned n_todo;
    bool stop;
    int wake[2];
    struct event *ev;
};

static void items_free(nd_be_parse_item *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++) {
        free(items[i].command);
        free(items[i].text);
        json_decref(items[i].recs);
    }
    free(items);
}

static void parsing_free(nd_be_parsing *p)
{
    items_free(p->items, p->n);
    nd_be_inv_unref(p->gen);
    free(p);
}

static void parse_batch(nd_be_parsing *p)
{
    for (size_t i = 0; i < p->n; i++) {
        nd_be_parse_item *it = &p->items[i];
        if (!p->lib) {
            it->err = p->lib_err;
            continue;
        }
        it->recs = na_tfsm_lib_parse(p->lib, p->platform, it->command, it->text, it->len, NULL,
                                     &it->err);
    }
}

static void *thread_main(void *arg)
{
    nd_be_parser *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->stop && TAILQ_EMPTY(&q->todo))
            pthread_cond_wait(&q->cv, &q->mu);
        if (q->stop)
            break;
        nd_be_parsing *p = TAILQ_FIRST(&q->todo);
        TAILQ_REMOVE(&q->todo, p, link);
        q->n_todo--;
        bool skip = p->abandoned;
        pthread_mutex_unlock(&q->mu);
        if (!skip)
            parse_batch(p);
        pthread_mutex_lock(&q->mu);
        TAILQ_INSERT_TAIL(&q->done, p, link);
        ssize_t w = write(q->wake[1], "x", 1); /* a full pipe already wakes the loop */
        (void)w;
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    nd_be_parser *q = arg;
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    struct parseq ready;
    TAILQ_INIT(&ready);
    pthread_mutex_lock(&q->mu);
    TAILQ_CONCAT(&ready, &q->done, link);
    pthread_mutex_unlock(&q->mu);
    nd_be_parsing *p;
    while ((p = TAILQ_FIRST(&ready))) {
        TAILQ_REMOVE(&ready, p, link);
        if (!p->abandoned)
            p->done(p->ud, p->items, p->n);
        parsing_free(p);
    }
}

nd_be_parser *nd_be_parser_new(struct event_base *base, na_err *err)
{
    nd_be_parser *q = calloc(1, sizeof *q);
    if (!q) {
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    q->wake[0] = q->wake[1] = -1;
    TAILQ_INIT(&q->todo);
    TAILQ_INIT(&q->done);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    if (pipe2(q->wake, O_CLOEXEC | O_NONBLOCK) != 0 ||
        !(q->ev = event_new(base, q->wake[0], EV_READ | EV_PERSIST, wake_cb, q)) ||
        event_add(q->ev, NULL) != 0) {
        na_err_set(err, NA_E_IO, "cannot set up the TextFSM parser: %s", strerror(errno));
        nd_be_parser_free(q);
        return NULL;
    }
    if (pthread_create(&q->th, NULL, thread_main, q) != 0) {
        na_err_set(err, NA_E_IO, "cannot start the TextFSM parser thread");
        nd_be_parser_free(q);
        return NULL;
    }
    q->started = true;
    return q;
}

void nd_be_parser_free(nd_be_parser *q)
{
    if (!q)
        return;
    if (q->started) {
        pthread_mutex_lock(&q->mu);
        q->stop = true; /* a parse in progress ends within its limits */
        pthread_cond_signal(&q->cv);
        pthread_mutex_unlock(&q->mu);
        pthread_join(q->th, NULL);
    }
    nd_be_parsing *p;
    while ((p = TAILQ_FIRST(&q->todo))) {
        TAILQ_REMOVE(&q->todo, p, link);
        parsing_free(p);
    }
    while ((p = TAILQ_FIRST(&q->done))) {
        TAILQ_REMOVE(&q->done, p, link);
        parsing_free(p);
    }
    if (q->ev)
        event_free(q->ev);
    if (q->wake[0] >= 0)
        close(q->wake[0]);
    if (q->wake[1] >= 0)
        close(q->wake[1]);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

nd_be_parsing *nd_be_parse_submit(nd_be *be, nd_be_inv *gen, const char *platform,
                                  nd_be_parse_item *items, size_t n, nd_be_parsed_cb done,
                                  void *ud, na_err *err)
{
    nd_be_parser *q = be->parser;
    pthread_mutex_lock(&q->mu);
    unsigned waiting = q->n_todo;
    pthread_mutex_unlock(&q->mu);
    if (waiting >= PARSE_QUEUE_MAX) {
        na_err_set(err, NA_E_OVERFLOW, "%u command outputs are waiting to be parsed; try again "
                                       "shortly", waiting);
        items_free(items, n);
        return NULL;
    }
    nd_be_parsing *p = calloc(1, sizeof *p);
    if (!p) {
        items_free(items, n);
        na_err_set(err, NA_E_NOMEM, "out of memory");
        return NULL;
    }
    p->be = be;
    p->gen = nd_be_inv_ref(gen);
    /* on the loop: the library (read from the inventory's templates: once per generation) */
    p->lib = nd_be_inv_templates(gen, &p->lib_err);
    p->platform = platform;
    p->items = items;
    p->n = n;
    p->done = done;
    p->ud = ud;
    pthread_mutex_lock(&q->mu);
    TAILQ_INSERT_TAIL(&q->todo, p, link);
    q->n_todo++;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return p;
}

void nd_be_parse_abandon(nd_be *be, nd_be_parsing *p)
{
    pthread_mutex_lock(&be->parser->mu);
    p->abandoned = true; /* dropped when the thread hands it back (or never takes it) */
    pthread_mutex_unlock(&be->parser->mu);
}
