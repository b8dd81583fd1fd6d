/* Opaque page tokens: url-safe base64 (no padding) of a kind byte + payload. */
#include "srv.h"

#include <string.h>

#define TOKEN_MAX_TEXT 512

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *srv_token_encode(trib_arena *a, char kind, const void *data, size_t len)
{
	size_t n = len + 1;
	const unsigned char *p = data;
	char *out = trib_arena_alloc(a, (n + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | (i == 0 ? (unsigned char)kind : p[i - 1]);
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = b64[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return out;
}

static int b64_value(int c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

int srv_token_decode(size_t *len, void *buf, size_t cap, const char *token, char kind)
{
	*len = 0;
	if (!token || !*token)
		return 0;
	size_t tl = strlen(token);
	if (tl > TOKEN_MAX_TEXT || tl % 4 == 1)
		return trib_error_set(TRIB_EINVALID, "page_token: not a token issued by this listing");
	unsigned char *out = buf;
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0;
	int kind_seen = 0;
	for (size_t i = 0; i < tl; i++) {
		int v = b64_value((unsigned char)token[i]);
		if (v < 0)
			return trib_error_set(TRIB_EINVALID, "page_token: character %zu is not base64url", i);
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			unsigned char byte = (unsigned char)(acc >> bits);
			if (!kind_seen) {
				if (byte != (unsigned char)kind)
					return trib_error_set(TRIB_EINVALID,
							      "page_token: a token of another listing");
				kind_seen = 1;
			} else {
				if (n >= cap)
					return trib_error_set(TRIB_EINVALID, "page_token: too long");
				out[n++] = byte;
			}
		}
	}
	/* Leftover bits must be the zero padding the encoder writes. */
	if (!kind_seen || (acc & ((1u << bits) - 1u)) != 0)
		return trib_error_set(TRIB_EINVALID, "page_token: not a token issued by this listing");
	*len = n;
	return 0;
}
