"""Incoming (statements, their entries, the exceptions queue) and outgoing (saved bank accounts,
payment files) live in their own modules."""

from comrade.bank.models.incoming import *  # noqa: F403
from comrade.bank.models.outgoing import *  # noqa: F403
