/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Messages of the programs (never of the library modules): one line each,
 * "PROGRAM: message", on stderr.
 */
#pragma once

#include <stdbool.h>

void log_init(const char *program);
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_debug(bool on);
void log_set_quiet(bool on); /* suppresses log_msg, not log_error */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A libcryptsetup log callback (crypt_set_log_callback): its messages are
 * shown in debug mode only, the program says what matters in its own
 * words; its debug output is dropped. */
void log_libcryptsetup(int level, const char *msg, void *userdata);
