# Registers every table on Base.metadata whichever db module is imported first: the core tables are in
# db.models, the rest beside it (db.models is at its size limit).
from db import cosell_models as cosell_models
from db import deal_notice_models as deal_notice_models
from db import experiment_models as experiment_models
from db import intel_models as intel_models
from db import user_models as user_models
from db import webhook_models as webhook_models
from db import win_wire_models as win_wire_models
