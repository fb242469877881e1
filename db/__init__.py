# Registers the accounts tables on Base.metadata whichever db module is imported first (see db.user_models).
from db import user_models as user_models
