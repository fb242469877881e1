"""What every page behind a signed link shares, partner pages (/p) and AE pages (/ae) alike: private
answers and headers, CSRF, rate limits, and the mapping from a form's workflow Update to what the page says."""
