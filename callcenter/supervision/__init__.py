"""督办 supervision: the card sweep and the monthly unit flags."""
