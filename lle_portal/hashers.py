"""Password hashing: Argon2id at OWASP's recommended minimum.

Django's own Argon2 settings (100 MiB, 8 lanes) and its PBKDF2 default
(1,000,000 iterations) each took 0.7 to 1.6 s per hash on the project's 2-core
machine, which made creating an account take over 2 s (issue 15). Argon2id
with 19 MiB of memory, 2 passes and 1 lane is OWASP's Password Storage Cheat
Sheet minimum and takes 60 to 130 ms there. Hashes made with other parameters
(or with PBKDF2, listed after it in settings) still verify, and are rehashed
with these at the person's next sign-in (Django's must_update).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    # Same algorithm name as Django's, so every "argon2$..." hash is verified here.
    memory_cost = 19 * 1024  # KiB
    time_cost = 2
    parallelism = 1
