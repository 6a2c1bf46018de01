/* The one libcrypto call labforge needs: single DES, which RFB's VNC authentication is built on and which
   neither swift-crypto nor Foundation offers. The low-level DES API is deprecated in OpenSSL 3 (still exported). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <string.h>
#include <openssl/des.h>

/* Encrypts 16 bytes (two ECB blocks) with an 8-byte key, as VNC authentication answers its challenge. */
static inline void labforge_des_ecb_encrypt16(const unsigned char key[8], const unsigned char in[16], unsigned char out[16]) {
    DES_cblock block;
    DES_key_schedule schedule;
    memcpy(block, key, 8);
    DES_set_key_unchecked(&block, &schedule);
    DES_ecb_encrypt((const_DES_cblock *)in, (DES_cblock *)out, &schedule, DES_ENCRYPT);
    DES_ecb_encrypt((const_DES_cblock *)(in + 8), (DES_cblock *)(out + 8), &schedule, DES_ENCRYPT);
}
