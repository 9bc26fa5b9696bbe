/* log.h — one line per event: time, level, host (or "-"), message; secrets redacted.
 * The library logs; only daemon/ and the CLI's main decide where lines go and at what level. */
#ifndef NA_LOG_H
#define NA_LOG_H

#include <stdio.h>

typedef enum { NA_LOG_ERROR = 0, NA_LOG_WARN, NA_LOG_INFO, NA_LOG_DEBUG, NA_LOG_TRACE } na_log_level;

void na_log_set_level(na_log_level lvl);
na_log_level na_log_get_level(void);
/* Where lines go (default stderr). The FILE is not closed by the logger. */
void na_log_set_file(FILE *f);
/* Optional hook instead of/in addition to the FILE (the daemon forwards lines to its log). */
typedef void (*na_log_hook)(na_log_level lvl, const char *line, void *ud);
void na_log_set_hook(na_log_hook hook, void *ud);

const char *na_log_level_name(na_log_level lvl);
/* "error".."trace"; 0 ok, -1 bad */
int na_log_level_parse(const char *s, na_log_level *out) __attribute__((warn_unused_result));

void na_log(na_log_level lvl, const char *host, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define NA_LOGE(host, ...) na_log(NA_LOG_ERROR, host, __VA_ARGS__)
#define NA_LOGW(host, ...) na_log(NA_LOG_WARN, host, __VA_ARGS__)
#define NA_LOGI(host, ...) na_log(NA_LOG_INFO, host, __VA_ARGS__)
#define NA_LOGD(host, ...) do { if (na_log_get_level() >= NA_LOG_DEBUG) na_log(NA_LOG_DEBUG, host, __VA_ARGS__); } while (0)
#define NA_LOGT(host, ...) do { if (na_log_get_level() >= NA_LOG_TRACE) na_log(NA_LOG_TRACE, host, __VA_ARGS__); } while (0)

#endif
