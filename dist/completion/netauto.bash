# bash completion for netauto — installed as share/bash-completion/completions/netauto.
# Verbs, options and host names all come from netauto itself (`netauto _complete ...`), so the
# completion cannot drift from the binary: verbs first, options after a dash, host and group
# names from the inventory the line names with -i (else $NETAUTO_INVENTORY or the user
# configuration), file names where an option takes a file. Needs no bash-completion helpers.
_netauto()
{
    local cur prev verb i w
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    verb=
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            --server|--token|--token-file|--fingerprint|--cacert|--color) ((i++)) ;;
            -*) ;;
            *) verb=$w; break ;;
        esac
    done
    if [[ -z $verb ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$(netauto _complete options 2>/dev/null </dev/null)" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(netauto _complete verbs 2>/dev/null </dev/null)" -- "$cur"))
        fi
        return 0
    fi
    local names="netauto _complete hosts"
    case $prev in
        -i|--inventory|--vault-password-file|--transcript|--template|--token-file|--cacert)
            COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
        --json)
            if [[ $verb == run ]]; then COMPREPLY=($(compgen -f -- "$cur")); return 0; fi ;;
        --templates|--transcripts)
            COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
        -t|--transport)
            COMPREPLY=($(compgen -W "ssh telnet" -- "$cur")); return 0 ;;
        --protocol)
            COMPREPLY=($(compgen -W "scp sftp auto" -- "$cur")); return 0 ;;
        --verify)
            COMPREPLY=($(compgen -W "md5 sha256 sha512 none auto" -- "$cur")); return 0 ;;
        --color)
            COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return 0 ;;
        -l|--limit)
            COMPREPLY=($(compgen -W "$($names "${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null </dev/null)" -- "$cur"))
            return 0 ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(netauto _complete options "$verb" 2>/dev/null </dev/null)" -- "$cur"))
        return 0
    fi
    case $verb in
        show|compare|shell)
            COMPREPLY=($(compgen -W "$($names "${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null </dev/null)" -- "$cur")) ;;
        run|vault|parse)
            COMPREPLY=($(compgen -f -- "$cur")) ;;
        put|get)
            # HOSTS first, then files (the words before this one, less options and their values)
            local words=0 j
            for ((j = i + 1; j < COMP_CWORD; j++)); do
                case ${COMP_WORDS[j]} in
                    -i|--inventory|-l|--limit|--protocol|--verify|--timeout|--stall-timeout|-f|--forks|--vault-password-file|--vault-id|--server|--token|--token-file|--fingerprint|--cacert|--color) ((j++)) ;;
                    -*) ;;
                    *) ((words++)) ;;
                esac
            done
            if ((words == 0)); then
                COMPREPLY=($(compgen -W "$($names "${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null </dev/null)" -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi ;;
        help)
            COMPREPLY=($(compgen -W "$(netauto _complete verbs 2>/dev/null </dev/null) inventory-format playbook results" -- "$cur")) ;;
    esac
    return 0
}
complete -F _netauto netauto
