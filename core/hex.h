/* hex.h — hexadecimal digits: the value of one, for every parser that reads \xHH escapes or hex
 * strings (transcripts, daemon token files). Not an encoder of whole buffers. */
#ifndef NA_HEX_H
#define NA_HEX_H

/* 0..15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for anything else. */
int na_hexval(int c);

#endif
