"""PM imports of AEs and CRM accounts, and the vendor-side overlap views."""
