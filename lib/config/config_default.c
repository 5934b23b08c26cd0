/* placeholder: replaced by the config module */
